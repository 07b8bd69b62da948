"""``/v1/schedules`` against a running server: the contract's "Schedules".

Every test confines its hosts to an availability zone of its own, so tests
sharing the session's server never place on one another's hosts.
"""

import uuid

import pytest

from tests.functional import server as sora_server
from tests.functional.server import assert_error

ZERO = dict.fromkeys(sora_server.USAGE, 0)



def post(srv, body, as_='member', headers=None):
    return srv.request('POST', '/v1/schedules', as_=as_, json=body,
                       headers=headers)


def schedule_ids(srv, query='', as_='member'):
    response = srv.request('GET', '/v1/schedules' + query, as_=as_)
    assert response.status_code == 200, response.text
    return [s['id'] for s in response.json()['schedules']]


@pytest.fixture
def zone(unique):
    return unique('az')


@pytest.fixture
def host(make_host, zone):
    """One host of 8 vCPUs, 16384 MB, 200 GB in the test's own zone."""
    return make_host(availability_zone=zone, cpu_allocation_ratio=1.0,
                     ram_allocation_ratio=1.0)


def request_body(zone, num_instances=1, **extra):
    body = {'resources': {'vcpus': 2, 'memory_mb': 1024, 'disk_gb': 10},
            'num_instances': num_instances, 'availability_zone': zone}
    body.update(extra)
    return body


# -- create, show, delete -------------------------------------------------

def test_a_schedule_is_201_with_location_and_one_allocation_per_instance(
        api, host, zone):
    response = post(api, request_body(zone, num_instances=3))
    assert response.status_code == 201, response.text
    schedule = response.json()['schedule']
    assert response.headers['Location'] == (
        api.url + '/v1/schedules/' + schedule['id'])
    uuid.UUID(schedule['id'])
    assert schedule['project_id'] == 'project-a'
    assert schedule['user_id'] == 'alice'
    assert schedule['status'] == 'active'
    assert schedule['num_instances'] == 3
    assert schedule['resources'] == {'vcpus': 2, 'memory_mb': 1024,
                                     'disk_gb': 10}
    assert schedule['created_at'].endswith('Z')
    assert schedule['allocations'] == [
        {'instance_index': i, 'host_id': host['id'],
         'host_name': host['name']} for i in range(3)]

    shown = api.request('GET', response.headers['Location'][len(api.url):],
                        as_='member')
    assert shown.status_code == 200
    assert shown.json()['schedule'] == schedule


def test_host_usage_reflects_the_allocations_and_returns_to_zero_on_delete(
        api, host, zone):
    response = post(api, request_body(zone, num_instances=3))
    assert response.status_code == 201, response.text
    schedule_id = response.json()['schedule']['id']
    assert api.usage(host['id']) == {
        'vcpus_used': 6, 'memory_mb_used': 3072, 'disk_gb_used': 30,
        'instances': 3}

    path = '/v1/schedules/' + schedule_id
    deleted = api.request('DELETE', path, as_='member')
    assert deleted.status_code == 204
    assert deleted.content == b''
    assert api.usage(host['id']) == ZERO
    assert_error(api.request('GET', path, as_='member'), 404,
                 'sora.not_found')
    assert_error(api.request('DELETE', path, as_='member'), 404,
                 'sora.not_found')
    assert api.usage(host['id']) == ZERO


def test_a_request_that_does_not_all_fit_is_409_and_claims_nothing(
        api, make_host, zone):
    # Two hosts of 8 vCPUs: four instances of 4 vCPUs fit, five do not.
    hosts = [make_host(availability_zone=zone, cpu_allocation_ratio=1.0)
             for _ in range(2)]
    body = {'resources': {'vcpus': 4}, 'num_instances': 5,
            'availability_zone': zone}
    error = assert_error(post(api, body), 409, 'sora.no_valid_host')
    funnel = error['explanation']
    assert funnel, error
    for step in funnel:
        assert set(step) == {'filter', 'hosts_in', 'hosts_out'}
        assert step['hosts_out'] <= step['hosts_in']
    for before, after in zip(funnel, funnel[1:]):
        assert after['hosts_in'] == before['hosts_out']
    assert funnel[-1]['hosts_out'] == 0
    assert funnel[-1]['filter'] == 'CoreFilter'
    for h in hosts:
        assert api.usage(h['id']) == ZERO
        assert schedule_ids(api, '?host_id=' + h['id']) == []


def test_an_unknown_zone_is_409_with_the_zone_filter_emptying_the_funnel(
        api, host, unique):
    error = assert_error(
        post(api, request_body(unique('nowhere'))), 409,
        'sora.no_valid_host')
    last = error['explanation'][-1]
    assert last['filter'] == 'AvailabilityZoneFilter'
    assert last['hosts_out'] == 0
    assert api.usage(host['id']) == ZERO


# -- dry run -------------------------------------------------------------

def test_dry_run_ranks_candidates_best_first_and_stores_nothing(
        api, make_host, zone):
    small = make_host(availability_zone=zone, memory_mb=4096)
    big = make_host(availability_zone=zone, memory_mb=32768)
    body = request_body(zone, dry_run=True)
    response = post(api, body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert set(result) == {'candidates', 'explanation', 'nearest',
                           'relaxations'}
    candidates = result['candidates']
    assert [c['host_id'] for c in candidates] == [big['id'], small['id']]
    assert [c['host_name'] for c in candidates] == [big['name'],
                                                    small['name']]
    weights = [c['weight'] for c in candidates]
    assert weights == sorted(weights, reverse=True)
    assert weights[0] > weights[1]
    for candidate in candidates:
        assert 'RAMWeigher' in candidate['weights']
        assert candidate['weight'] == pytest.approx(
            sum(candidate['weights'].values()))
    assert candidates[0]['weights']['RAMWeigher'] == pytest.approx(1.0)
    assert candidates[1]['weights']['RAMWeigher'] == pytest.approx(0.0)
    assert result['explanation'][-1]['hosts_out'] == 2
    for h in (small, big):
        assert api.usage(h['id']) == ZERO
        assert schedule_ids(api, '?host_id=' + h['id']) == []


def test_dry_run_with_no_candidate_is_200_with_an_empty_list(
        api, host, zone):
    response = post(api, request_body(zone, dry_run=True,
                                      resources={'vcpus': 64}))
    assert response.status_code == 200, response.text
    assert response.json()['candidates'] == []
    assert response.json()['explanation'][-1]['hosts_out'] == 0


# -- Idempotency-Key -----------------------------------------------------

def test_a_repeat_with_the_same_idempotency_key_returns_the_first_schedule(
        api, host, zone):
    key = {'Idempotency-Key': str(uuid.uuid4())}
    body = request_body(zone, num_instances=2)
    first = post(api, body, headers=key)
    assert first.status_code == 201, first.text
    again = post(api, body, headers=key)
    assert again.status_code == 201, again.text
    assert again.json()['schedule'] == first.json()['schedule']
    assert again.headers['Location'] == first.headers['Location']
    assert api.usage(host['id'])['instances'] == 2
    assert len(schedule_ids(api, '?host_id=' + host['id'])) == 1


def test_a_repeat_that_spells_out_a_default_is_the_same_request(
        api, host, zone):
    key = {'Idempotency-Key': str(uuid.uuid4())}
    body = request_body(zone)
    del body['num_instances']
    first = post(api, body, headers=key)
    assert first.status_code == 201, first.text
    again = post(api, dict(body, num_instances=1), headers=key)
    assert again.status_code == 201, again.text
    assert again.json()['schedule']['id'] == first.json()['schedule']['id']
    assert api.usage(host['id'])['instances'] == 1


def test_the_same_idempotency_key_with_another_body_is_422(api, host, zone):
    key = {'Idempotency-Key': str(uuid.uuid4())}
    assert post(api, request_body(zone), headers=key).status_code == 201
    assert_error(post(api, request_body(zone, num_instances=2), headers=key),
                 422, 'sora.idempotency_mismatch')
    assert api.usage(host['id'])['instances'] == 1


def test_the_same_idempotency_key_in_another_project_is_independent(
        api, host, zone):
    key = {'Idempotency-Key': str(uuid.uuid4())}
    mine = post(api, request_body(zone), headers=key)
    theirs = post(api, request_body(zone), as_='other', headers=key)
    assert mine.status_code == 201 and theirs.status_code == 201
    assert (mine.json()['schedule']['id']
            != theirs.json()['schedule']['id'])
    assert theirs.json()['schedule']['project_id'] == 'project-b'
    assert api.usage(host['id'])['instances'] == 2


def test_an_idempotency_key_over_255_characters_is_400(api, host, zone):
    response = post(api, request_body(zone),
                    headers={'Idempotency-Key': 'k' * 256})
    assert_error(response, 400, 'sora.invalid_request')
    assert api.usage(host['id']) == ZERO
    ok = post(api, request_body(zone), headers={'Idempotency-Key': 'k' * 255})
    assert ok.status_code == 201, ok.text


def test_an_idempotency_key_over_255_characters_is_400_on_a_dry_run_too(
        api, host, zone):
    response = post(api, request_body(zone, dry_run=True),
                    headers={'Idempotency-Key': 'k' * 256})
    assert_error(response, 400, 'sora.invalid_request')


# -- list ----------------------------------------------------------------

def test_a_member_lists_only_its_own_projects_schedules(api, host, zone):
    mine = post(api, request_body(zone)).json()['schedule']['id']
    theirs = post(api, request_body(zone),
                  as_='other').json()['schedule']['id']
    query = '?host_id=' + host['id']
    assert schedule_ids(api, query) == [mine]
    assert schedule_ids(api, query, as_='other') == [theirs]
    assert sorted(schedule_ids(api, query + '&all_projects=true',
                               as_='admin')) == sorted([mine, theirs])
    # Without all_projects an admin sees its own project only.
    assert schedule_ids(api, query, as_='admin') == []


def test_a_non_admin_asking_for_all_projects_is_403(api):
    for who in ('member', 'reader'):
        response = api.request('GET', '/v1/schedules?all_projects=true',
                               as_=who)
        assert_error(response, 403, 'sora.forbidden')


def test_list_filters_by_status_host_and_group(api, make_host, zone,
                                               unique):
    first = make_host(availability_zone=zone)
    second = make_host(availability_zone=zone)
    group = unique('group')
    on_first = post(api, request_body(
        zone, hints={'group': group, 'force_hosts': [first['name']]}))
    on_second = post(api, request_body(
        zone, hints={'force_hosts': [second['name']]}))
    assert on_first.status_code == 201, on_first.text
    assert on_second.status_code == 201, on_second.text
    a = on_first.json()['schedule']['id']
    b = on_second.json()['schedule']['id']
    assert schedule_ids(api, '?host_id=' + first['id']) == [a]
    assert schedule_ids(api, '?host_id=' + second['id']) == [b]
    assert schedule_ids(api, '?group=' + group) == [a]
    assert schedule_ids(
        api, '?status=active&host_id=' + second['id']) == [b]
    assert_error(api.request('GET', '/v1/schedules?status=deleted',
                             as_='member'), 400, 'sora.invalid_request')
    assert_error(api.request('GET', '/v1/schedules?colour=red',
                             as_='member'), 400, 'sora.invalid_request')


def test_list_pages_with_next_links_until_the_last_page(api, host, zone,
                                                        unique):
    group = unique('group')
    created = sorted(
        post(api, request_body(zone, resources={'vcpus': 1},
                               hints={'group': group}))
        .json()['schedule']['id'] for _ in range(5))
    seen = []
    path = '/v1/schedules?group=%s&limit=2' % group
    for _ in range(5):
        response = api.request('GET', path, as_='member')
        assert response.status_code == 200, response.text
        body = response.json()
        page = [s['id'] for s in body['schedules']]
        assert len(page) <= 2
        seen += page
        if 'links' not in body:
            break
        [link] = body['links']
        assert link['rel'] == 'next'
        assert 'group=' + group in link['href']
        path = link['href'][len(api.url):]
    assert seen == created
    assert_error(api.request('GET', '/v1/schedules?marker=%s'
                             % uuid.uuid4(), as_='member'),
                 400, 'sora.invalid_request')


def test_another_projects_schedule_as_marker_is_400_like_an_unknown_id(
        api, host, zone):
    theirs = post(api, request_body(zone),
                  as_='other').json()['schedule']['id']
    for marker in (theirs, str(uuid.uuid4())):
        response = api.request('GET', '/v1/schedules?marker=' + marker,
                               as_='member')
        assert_error(response, 400, 'sora.invalid_request')
    mine = api.request('GET', '/v1/schedules?marker=' + theirs,
                       as_='other')
    assert mine.status_code == 200
    everyone = api.request(
        'GET', '/v1/schedules?all_projects=true&marker=' + theirs,
        as_='admin')
    assert everyone.status_code == 200


# -- who may do what ------------------------------------------------------

def test_another_projects_schedule_is_404_to_a_member_and_visible_to_admin(
        api, host, zone):
    schedule_id = post(api, request_body(zone)).json()['schedule']['id']
    path = '/v1/schedules/' + schedule_id
    assert_error(api.request('GET', path, as_='other'), 404,
                 'sora.not_found')
    assert_error(api.request('DELETE', path, as_='other'), 404,
                 'sora.not_found')
    shown = api.request('GET', path, as_='admin')
    assert shown.status_code == 200
    assert shown.json()['schedule']['project_id'] == 'project-a'
    assert api.usage(host['id'])['instances'] == 1
    assert api.request('DELETE', path, as_='admin').status_code == 204
    assert api.usage(host['id']) == ZERO


def test_a_reader_lists_and_shows_but_cannot_create_or_delete(
        api, host, zone):
    schedule_id = post(api, request_body(zone)).json()['schedule']['id']
    path = '/v1/schedules/' + schedule_id
    assert schedule_id in schedule_ids(api, '?host_id=' + host['id'],
                                       as_='reader')
    assert api.request('GET', path, as_='reader').status_code == 200
    assert_error(post(api, request_body(zone), as_='reader'), 403,
                 'sora.forbidden')
    assert_error(api.request('DELETE', path, as_='reader'), 403,
                 'sora.forbidden')
    assert api.usage(host['id'])['instances'] == 1


def test_a_token_without_a_role_cannot_create_and_no_token_is_401(
        api, host, zone):
    assert_error(post(api, request_body(zone), as_='norole'), 403,
                 'sora.forbidden')
    response = api.request('POST', '/v1/schedules', json=request_body(zone))
    assert_error(response, 401, 'sora.unauthorized')
    assert api.usage(host['id']) == ZERO


# -- validation ----------------------------------------------------------

def _deep_query(depth):
    query = ['=', '$name', 'x']
    for _ in range(depth):
        query = ['not', query]
    return query


def _invalid_bodies(zone):
    base = request_body(zone)

    def body(**changes):
        result = dict(base, **changes)
        return {k: v for k, v in result.items() if v is not None}

    return {
        'missing resources': body(resources=None),
        'empty resources': body(resources={}),
        'all-zero resources': body(resources={'vcpus': 0, 'memory_mb': 0}),
        'negative resource': body(resources={'vcpus': -1}),
        'fractional resource': body(resources={'vcpus': 1.5}),
        'float-integral resource': body(resources={'vcpus': 2.0}),
        'string resource': body(resources={'vcpus': '2'}),
        'boolean resource': body(resources={'vcpus': True}),
        'unknown resource': body(resources={'gpus': 1}),
        'unknown field': body(colour='red'),
        'unknown hint': body(hints={'rack': 'r1'}),
        'zero instances': body(num_instances=0),
        'too many instances': body(num_instances=101),
        'string instances': body(num_instances='2'),
        'bad group_policy': body(hints={'group': 'g',
                                        'group_policy': 'together'}),
        'group_policy without group': body(
            hints={'group_policy': 'affinity'}),
        'dry_run not a boolean': body(dry_run='yes'),
        'same_host not a uuid': body(hints={'same_host': ['abc']}),
        'query not a list': body(hints={'query': '>= $free_ram_mb 1'}),
        'query empty': body(hints={'query': []}),
        'query unknown operator': body(
            hints={'query': ['like', '$name', 'web']}),
        'query unknown variable': body(
            hints={'query': ['>=', '$bogus', 1]}),
        'query missing operands': body(hints={'query': ['>=']}),
        'query with a bad nested expression': body(
            hints={'query': ['and', ['>=', '$free_ram_mb', 1],
                             ['~', '$name', 'x']]}),
        'query not with two operands': body(
            hints={'query': ['not', ['=', '$name', 'a'],
                             ['=', '$name', 'b']]}),
        'query metadata without a key': body(
            hints={'query': ['=', '$metadata.', 'gold']}),
        'query nested too deeply': body(hints={'query': _deep_query(40)}),
        'query with an object': body(
            hints={'query': ['=', '$name', {'a': 1}]}),
        'same_host naming an unknown schedule': body(
            hints={'same_host': [str(uuid.uuid4())]}),
        'different_host naming an unknown schedule': body(
            hints={'different_host': [str(uuid.uuid4())]}),
    }


@pytest.mark.parametrize('case', sorted(_invalid_bodies('az')))
def test_an_invalid_request_is_400_and_claims_nothing(api, host, zone, case):
    response = post(api, _invalid_bodies(zone)[case])
    error = assert_error(response, 400, 'sora.invalid_request')
    assert 'explanation' not in error
    assert api.usage(host['id']) == ZERO


@pytest.mark.parametrize('raw', [b'not json', b'[1, 2]', b'', b'{"a": NaN}'])
def test_a_body_that_is_not_a_json_object_is_400(api, host, raw):
    response = api.request('POST', '/v1/schedules', as_='member', data=raw,
                           headers={'Content-Type': 'application/json'})
    assert_error(response, 400, 'sora.invalid_request')
    assert api.usage(host['id']) == ZERO


def test_max_instances_per_request_is_the_configured_cap(start_server,
                                                         make_host):
    srv = start_server({'scheduler': {'max_instances_per_request': 3}})
    host = make_host(srv, vcpus=64, cpu_allocation_ratio=1.0)
    body = {'resources': {'vcpus': 1}, 'num_instances': 4}
    assert_error(post(srv, body), 400, 'sora.invalid_request')
    assert srv.usage(host['id']) == ZERO
    body['num_instances'] = 3
    assert post(srv, body).status_code == 201
    assert srv.usage(host['id'])['instances'] == 3


def test_same_host_naming_another_projects_schedule_is_400(api, host, zone):
    theirs = post(api, request_body(zone),
                  as_='other').json()['schedule']['id']
    response = post(api, request_body(zone, hints={'same_host': [theirs]}))
    assert_error(response, 400, 'sora.invalid_request')
    assert api.usage(host['id'])['instances'] == 1


# -- hosts with live allocations ---------------------------------------------

def test_shrinking_a_host_below_its_allocations_is_409_in_use(
        api, host, zone):
    assert post(api, request_body(zone, num_instances=3)).status_code == 201
    # 3 instances of 2 vCPUs: 6 in use on a host of 8 vCPUs at ratio 1.0.
    before = api.request('GET', '/v1/hosts/' + host['id'], as_='admin')
    for change in ({'vcpus': 5}, {'reserved_vcpus': 3},
                   {'cpu_allocation_ratio': 0.5}):
        response = api.request('PUT', '/v1/hosts/' + host['id'],
                               as_='admin', json=change)
        assert_error(response, 409, 'sora.in_use')
    after = api.request('GET', '/v1/hosts/' + host['id'], as_='admin')
    assert after.json() == before.json()
    # Down to exactly what is in use is fine.
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'vcpus': 6})
    assert response.status_code == 200, response.text
    assert response.json()['host']['vcpus_used'] == 6


def test_a_host_with_allocations_cannot_be_deleted_until_released(
        api, host, zone):
    placed = post(api, request_body(zone))
    assert placed.status_code == 201
    response = api.request('DELETE', '/v1/hosts/' + host['id'], as_='admin')
    assert_error(response, 409, 'sora.in_use')
    assert api.request('GET', '/v1/hosts/' + host['id'],
                       as_='admin').status_code == 200
    schedule_id = placed.json()['schedule']['id']
    assert api.request('DELETE', '/v1/schedules/' + schedule_id,
                       as_='member').status_code == 204
    assert api.request('DELETE', '/v1/hosts/' + host['id'],
                       as_='admin').status_code == 204
