"""Hosts, ``/v1/hosts``: the contract's create, list, show, update, delete
and heartbeat, against a real server.

The shared server is never assumed empty: every list is narrowed to the
names, availability zones or traits the test itself created.
"""

import re
import time
import urllib.parse

import pytest

from tests.functional.server import assert_error

ISO_Z = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
# A well-formed id no host has.
UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'


@pytest.fixture
def trait(unique):
    """A trait name no other test uses."""
    def _trait():
        return 'CUSTOM_' + unique('T').upper().replace('-', '_')
    return _trait


def list_hosts(api, as_='admin', **params):
    response = api.request('GET', '/v1/hosts', as_=as_, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def names(body):
    return [host['name'] for host in body['hosts']]


def show(api, host_id):
    response = api.request('GET', '/v1/hosts/' + host_id, as_='admin')
    assert response.status_code == 200, response.text
    return response.json()['host']


def follow(api, href):
    """GET a ``next`` link, which must point at this server."""
    assert href.startswith(api.url + '/v1/hosts?'), href
    response = api.request('GET', href[len(api.url):], as_='admin')
    assert response.status_code == 200, response.text
    return response.json()


def next_href(body):
    [link] = body['links']
    assert link['rel'] == 'next'
    return link['href']


# -- create -----------------------------------------------------------------

def test_a_new_host_is_201_with_location_etag_and_the_configured_defaults(
        api, unique):
    name = unique()
    response = api.request('POST', '/v1/hosts', as_='admin', json={
        'name': name, 'vcpus': 8, 'memory_mb': 16384, 'disk_gb': 200})
    assert response.status_code == 201, response.text
    host = response.json()['host']
    assert response.headers['Location'] == api.url + '/v1/hosts/' + host['id']
    assert response.headers['ETag'] == '"1"'
    assert host['name'] == name
    assert (host['vcpus'], host['memory_mb'], host['disk_gb']) == (
        8, 16384, 200)
    assert host['availability_zone'] == 'nova'
    assert host['cpu_allocation_ratio'] == 16.0
    assert host['ram_allocation_ratio'] == 1.5
    assert host['disk_allocation_ratio'] == 1.0
    assert host['enabled'] is True
    assert host['disabled_reason'] is None
    for field in ('reserved_vcpus', 'reserved_memory_mb', 'reserved_disk_gb',
                  'vcpus_used', 'memory_mb_used', 'disk_gb_used',
                  'instances', 'io_ops'):
        assert host[field] == 0, field
    assert host['traits'] == []
    assert host['metadata'] == {}
    assert host['generation'] == 1
    assert host['status'] == 'up'
    assert host['last_heartbeat'] is None
    assert ISO_Z.match(host['created_at']), host['created_at']
    assert ISO_Z.match(host['updated_at']), host['updated_at']


def test_the_location_of_a_new_host_shows_the_same_host(api, unique):
    response = api.request('POST', '/v1/hosts', as_='admin', json={
        'name': unique(), 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    assert response.status_code == 201, response.text
    location = response.headers['Location']
    shown = api.request('GET', location[len(api.url):], as_='admin')
    assert shown.status_code == 200
    assert shown.json() == response.json()


def test_defaults_come_from_the_scheduler_options(start_server, make_host):
    srv = start_server(options={'scheduler': {
        'default_availability_zone': 'az-default',
        'cpu_allocation_ratio': 4.0, 'ram_allocation_ratio': 1.0,
        'disk_allocation_ratio': 2.0}})
    host = make_host(server=srv)
    assert host['availability_zone'] == 'az-default'
    assert (host['cpu_allocation_ratio'], host['ram_allocation_ratio'],
            host['disk_allocation_ratio']) == (4.0, 1.0, 2.0)


def test_a_host_created_with_every_field_keeps_them(api, unique, trait):
    body = {'name': unique(), 'availability_zone': unique('az'),
            'enabled': False, 'disabled_reason': 'maintenance',
            'vcpus': 32, 'memory_mb': 65536, 'disk_gb': 1000,
            'cpu_allocation_ratio': 2.0, 'ram_allocation_ratio': 1.0,
            'disk_allocation_ratio': 1.5, 'reserved_vcpus': 2,
            'reserved_memory_mb': 2048, 'reserved_disk_gb': 50,
            'traits': sorted([trait(), trait()]),
            'metadata': {'tier': 'gold', 'rack': 'r1'}, 'io_ops': 3}
    response = api.request('POST', '/v1/hosts', as_='admin', json=body)
    assert response.status_code == 201, response.text
    host = show(api, response.json()['host']['id'])
    assert {k: host[k] for k in body} == body


def test_a_taken_name_is_409_conflict_and_no_second_host_appears(
        api, make_host):
    host = make_host()
    response = api.request('POST', '/v1/hosts', as_='admin', json={
        'name': host['name'], 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    assert_error(response, 409, 'sora.conflict')
    assert [h['id'] for h in list_hosts(api, name=host['name'])['hosts']] \
        == [host['id']]


# -- list: filters ----------------------------------------------------------

def test_the_list_filters_by_name(api, make_host):
    wanted = make_host()
    make_host()
    assert names(list_hosts(api, name=wanted['name'])) == [wanted['name']]


def test_the_list_filters_by_availability_zone(api, make_host, unique):
    az = unique('az')
    inside = {make_host(availability_zone=az)['name'] for _ in range(2)}
    make_host(availability_zone=unique('az'))
    assert set(names(list_hosts(api, availability_zone=az))) == inside


def test_the_list_filters_by_enabled(api, make_host, unique):
    az = unique('az')
    on = make_host(availability_zone=az)
    off = make_host(availability_zone=az, enabled=False)
    assert names(list_hosts(api, availability_zone=az, enabled='true')) \
        == [on['name']]
    assert names(list_hosts(api, availability_zone=az, enabled='false')) \
        == [off['name']]


def test_listing_by_trait_requires_every_trait_given(api, make_host, unique,
                                                     trait):
    az, ssd, gpu = unique('az'), trait(), trait()
    both = make_host(availability_zone=az, traits=[ssd, gpu])
    only_ssd = make_host(availability_zone=az, traits=[ssd])
    make_host(availability_zone=az, traits=[])
    assert set(names(list_hosts(api, trait=ssd))) == {
        both['name'], only_ssd['name']}
    assert names(list_hosts(api, trait=[ssd, gpu])) == [both['name']]
    assert names(list_hosts(api, trait=[ssd, trait()])) == []


def test_the_list_filters_by_status(api, make_host, unique):
    az = unique('az')
    untracked = make_host(availability_zone=az)
    beating = make_host(availability_zone=az)
    response = api.request(
        'POST', '/v1/hosts/%s/heartbeat' % beating['id'], as_='admin')
    assert response.status_code == 204
    # Both are up with the default service_down_time of 60 s.
    assert set(names(list_hosts(api, availability_zone=az, status='up'))) \
        == {untracked['name'], beating['name']}
    assert names(list_hosts(api, availability_zone=az, status='down')) == []


def test_filters_combine(api, make_host, unique, trait):
    az, ssd = unique('az'), trait()
    wanted = make_host(availability_zone=az, traits=[ssd])
    make_host(availability_zone=az, traits=[ssd], enabled=False)
    make_host(availability_zone=az)
    make_host(traits=[ssd])
    body = list_hosts(api, availability_zone=az, trait=ssd, enabled='true',
                      status='up')
    assert names(body) == [wanted['name']]


# -- list: pagination -------------------------------------------------------

def test_a_page_has_a_next_link_only_while_more_rows_remain(
        api, make_host, unique):
    az = unique('az')
    made = {make_host(availability_zone=az)['id'] for _ in range(3)}
    first = list_hosts(api, availability_zone=az, limit=2)
    assert len(first['hosts']) == 2
    second = follow(api, next_href(first))
    assert len(second['hosts']) == 1
    assert 'links' not in second
    assert {h['id'] for h in first['hosts'] + second['hosts']} == made
    exact = list_hosts(api, availability_zone=az, limit=3)
    assert len(exact['hosts']) == 3
    assert 'links' not in exact


def test_a_next_link_keeps_the_filters_and_the_limit(api, make_host, unique):
    az = unique('az')
    for _ in range(3):
        make_host(availability_zone=az)
    first = list_hosts(api, availability_zone=az, limit=1)
    query = urllib.parse.parse_qs(
        urllib.parse.urlsplit(next_href(first)).query)
    assert query['availability_zone'] == [az]
    assert query['limit'] == ['1']
    assert query['marker'] == [first['hosts'][0]['id']]


def test_following_next_links_visits_every_host_once(api, make_host, unique):
    az = unique('az')
    made = {make_host(availability_zone=az)['id'] for _ in range(5)}
    body = list_hosts(api, availability_zone=az, limit=2)
    seen = [h['id'] for h in body['hosts']]
    pages = 1
    while 'links' in body:
        body = follow(api, next_href(body))
        seen += [h['id'] for h in body['hosts']]
        pages += 1
        assert pages <= 5, 'next links do not end'
    assert pages == 3
    assert sorted(seen) == sorted(made)
    assert seen == sorted(seen), 'pages are ordered by id'


def test_a_page_is_never_larger_than_max_limit(start_server, make_host):
    srv = start_server(options={'api': {'max_limit': 2}})
    made = {make_host(server=srv)['id'] for _ in range(3)}
    for params in ({}, {'limit': 100}):
        response = srv.request('GET', '/v1/hosts', as_='admin',
                               params=params)
        assert response.status_code == 200
        body = response.json()
        assert len(body['hosts']) == 2
        rest = follow(srv, next_href(body))
        assert len(rest['hosts']) == 1
        assert 'links' not in rest
        assert {h['id'] for h in body['hosts'] + rest['hosts']} == made


def test_every_page_of_the_whole_list_shows_each_hosts_own_attributes(
        start_server, make_host):
    """Unfiltered pages read attributes by id range: each host still gets
    its own, however its neighbours in id order differ."""
    srv = start_server()
    assert srv.request('PUT', '/v1/resource_classes/CUSTOM_PAGE_GPU',
                       as_='admin').status_code == 201
    made = []
    for i in range(7):
        fields = {'traits': ['CUSTOM_T%d' % i],
                  'metadata': {'rack': 'r%d' % i}}
        if i % 2:
            fields['inventories'] = {'CUSTOM_PAGE_GPU': {'total': i}}
            fields['taints'] = [{'key': 'k%d' % i, 'effect': 'NoSchedule'}]
            fields['projects'] = ['project-%d' % i]
        made.append(make_host(server=srv, **fields))
    listed = []
    body = follow(srv, srv.url + '/v1/hosts?limit=3')
    while True:
        listed += body['hosts']
        if 'links' not in body:
            break
        body = follow(srv, next_href(body))
    assert sorted(h['id'] for h in listed) == sorted(h['id'] for h in made)
    for host in listed:
        alone = srv.request('GET', '/v1/hosts/%s' % host['id'], as_='admin')
        assert host == alone.json()['host']
    assert {h['traits'][0] for h in listed} == {
        'CUSTOM_T%d' % i for i in range(7)}


def test_an_unknown_marker_is_400(api):
    response = api.request('GET', '/v1/hosts', as_='admin',
                           params={'marker': UNKNOWN_ID})
    assert_error(response, 400, 'sora.invalid_request')


@pytest.mark.parametrize('params', [
    {'colour': 'blue'}, {'names': 'x'}, {'all_projects': 'true'}],
    ids=['colour', 'plural typo', 'schedules-only parameter'])
def test_an_unknown_query_parameter_is_400(api, params):
    response = api.request('GET', '/v1/hosts', as_='admin', params=params)
    assert_error(response, 400, 'sora.invalid_request')


@pytest.mark.parametrize('limit', ['0', '-1', 'ten', '1.5', '', '1e3',
                                   '99999999999'])
def test_a_bad_limit_is_400(api, limit):
    response = api.request('GET', '/v1/hosts', as_='admin',
                           params={'limit': limit})
    assert_error(response, 400, 'sora.invalid_request')


@pytest.mark.parametrize('params', [
    {'marker': 'not-a-uuid'}, {'enabled': 'yes'}, {'status': 'sideways'},
    {'trait': 'lowercase'}, {'name': ''}, {'name': ['a', 'b']},
    {'limit': ['1', '2']}],
    ids=['marker', 'enabled', 'status', 'trait', 'empty name', 'two names',
         'two limits'])
def test_a_bad_filter_value_is_400(api, params):
    response = api.request('GET', '/v1/hosts', as_='admin', params=params)
    assert_error(response, 400, 'sora.invalid_request')


# -- show -------------------------------------------------------------------

def test_show_returns_the_host_and_its_generation_as_etag(api, make_host):
    host = make_host()
    response = api.request('GET', '/v1/hosts/' + host['id'], as_='admin')
    assert response.status_code == 200
    assert response.json() == {'host': host}
    assert response.headers['ETag'] == '"%d"' % host['generation']


@pytest.mark.parametrize('method,suffix', [
    ('GET', ''), ('PUT', ''), ('DELETE', ''), ('POST', '/heartbeat')])
def test_an_unknown_host_is_404(api, method, suffix):
    response = api.request(method, '/v1/hosts/%s%s' % (UNKNOWN_ID, suffix),
                           as_='admin', json={'vcpus': 1}
                           if method == 'PUT' else None)
    assert_error(response, 404, 'sora.not_found')


@pytest.mark.parametrize('host_id', ['not-a-uuid', '12345',
                                     UNKNOWN_ID + '0'])
def test_a_host_id_that_is_not_a_uuid_is_404(api, host_id):
    response = api.request('GET', '/v1/hosts/' + host_id, as_='admin')
    assert_error(response, 404, 'sora.not_found')


# -- update -----------------------------------------------------------------

def test_an_update_changes_only_the_fields_given_and_bumps_the_generation(
        api, make_host):
    before = make_host(metadata={'a': '1'})
    response = api.request('PUT', '/v1/hosts/' + before['id'], as_='admin',
                           json={'vcpus': 64, 'enabled': False,
                                 'disabled_reason': 'drained'})
    assert response.status_code == 200, response.text
    after = response.json()['host']
    assert response.headers['ETag'] == '"2"'
    assert after['generation'] == before['generation'] + 1
    changed = {k for k in before if before[k] != after[k]}
    # ``inventories`` shows the standard classes too (issue 9): VCPU's
    # total is ``vcpus``.
    assert changed <= {'vcpus', 'enabled', 'disabled_reason', 'generation',
                       'updated_at', 'inventories'}
    assert (after['vcpus'], after['enabled'], after['disabled_reason']) == (
        64, False, 'drained')
    assert after['inventories']['VCPU']['total'] == 64
    assert {k: v for k, v in after['inventories'].items() if k != 'VCPU'} \
        == {k: v for k, v in before['inventories'].items() if k != 'VCPU'}
    assert show(api, before['id']) == after


def test_an_update_replaces_traits_and_metadata_whole(api, make_host, trait):
    old, kept, new = trait(), trait(), trait()
    host = make_host(traits=[old, kept], metadata={'a': '1', 'b': '2'})
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'traits': [kept, new],
                                 'metadata': {'b': '3', 'c': '4'}})
    assert response.status_code == 200, response.text
    shown = show(api, host['id'])
    assert shown['traits'] == sorted([kept, new])
    assert shown['metadata'] == {'b': '3', 'c': '4'}
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'traits': [], 'metadata': {}})
    assert response.status_code == 200, response.text
    shown = show(api, host['id'])
    assert (shown['traits'], shown['metadata']) == ([], {})
    assert shown['generation'] == 3


def test_an_update_with_a_matching_if_match_is_200(api, make_host):
    host = make_host()
    etag = api.request('GET', '/v1/hosts/' + host['id'],
                       as_='admin').headers['ETag']
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'vcpus': 4}, headers={'If-Match': etag})
    assert response.status_code == 200, response.text
    assert response.headers['ETag'] != etag
    assert show(api, host['id'])['vcpus'] == 4


def test_a_stale_if_match_is_412_and_changes_nothing(api, make_host):
    host = make_host()
    stale = '"%d"' % host['generation']
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'vcpus': 2})
    assert response.status_code == 200
    current = show(api, host['id'])
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'vcpus': 99, 'name': host['name'] + '-x'},
                           headers={'If-Match': stale})
    assert_error(response, 412, 'sora.conflict')
    assert show(api, host['id']) == current


def test_renaming_to_a_taken_name_is_409_and_changes_nothing(api, make_host):
    taken = make_host()
    host = make_host()
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'name': taken['name'], 'vcpus': 1})
    assert_error(response, 409, 'sora.conflict')
    assert show(api, host['id']) == host
    assert show(api, taken['id']) == taken


def test_keeping_its_own_name_is_not_a_conflict(api, make_host):
    host = make_host()
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json={'name': host['name']})
    assert response.status_code == 200, response.text


# -- delete -----------------------------------------------------------------

def test_a_deleted_host_is_204_then_404_and_leaves_the_list(api, make_host):
    host = make_host()
    response = api.request('DELETE', '/v1/hosts/' + host['id'], as_='admin')
    assert response.status_code == 204
    assert response.content == b''
    assert_error(api.request('GET', '/v1/hosts/' + host['id'], as_='admin'),
                 404, 'sora.not_found')
    assert_error(api.request('DELETE', '/v1/hosts/' + host['id'],
                             as_='admin'), 404, 'sora.not_found')
    assert names(list_hosts(api, name=host['name'])) == []


def test_a_deleted_hosts_name_can_be_used_again(api, make_host):
    host = make_host()
    api.request('DELETE', '/v1/hosts/' + host['id'], as_='admin')
    again = make_host(name=host['name'])
    assert again['id'] != host['id']


# -- heartbeat --------------------------------------------------------------

def test_a_heartbeat_is_204_and_records_the_time_and_io_ops(api, make_host):
    host = make_host()
    response = api.request('POST', '/v1/hosts/%s/heartbeat' % host['id'],
                           as_='admin', json={'io_ops': 7})
    assert response.status_code == 204
    assert response.content == b''
    shown = show(api, host['id'])
    assert ISO_Z.match(shown['last_heartbeat']), shown['last_heartbeat']
    assert shown['last_heartbeat'] >= host['created_at']
    assert shown['io_ops'] == 7
    assert shown['status'] == 'up'


def test_a_heartbeat_body_is_optional_and_keeps_io_ops(api, make_host):
    host = make_host(io_ops=5)
    for kwargs in ({}, {'json': {}}):
        response = api.request('POST', '/v1/hosts/%s/heartbeat' % host['id'],
                               as_='admin', **kwargs)
        assert response.status_code == 204, response.text
    shown = show(api, host['id'])
    assert shown['last_heartbeat'] is not None
    assert shown['io_ops'] == 5


@pytest.mark.parametrize('body', [
    b'io_ops=3', b'[]', b'"3"', b'{"io_ops": -1}', b'{"io_ops": "3"}',
    b'{"io_ops": 1.5}', b'{"io_ops": true}', b'{"io_ops": null}',
    b'{"io_ops": 2147483648}', b'{"io_ops": 1, "load": 2}'],
    ids=lambda b: b.decode())
def test_a_bad_heartbeat_body_is_400_and_records_nothing(api, make_host,
                                                         body):
    host = make_host()
    response = api.request('POST', '/v1/hosts/%s/heartbeat' % host['id'],
                           as_='admin', data=body,
                           headers={'Content-Type': 'application/json'})
    assert_error(response, 400, 'sora.invalid_request')
    assert show(api, host['id']) == host


def test_a_host_whose_heartbeats_stopped_is_down(start_server, make_host):
    srv = start_server(options={'scheduler': {'service_down_time': 1}})
    untracked = make_host(server=srv)
    silent = make_host(server=srv)
    response = srv.request('POST', '/v1/hosts/%s/heartbeat' % silent['id'],
                           as_='admin')
    assert response.status_code == 204
    deadline = time.monotonic() + 5
    while show(srv, silent['id'])['status'] != 'down':
        assert time.monotonic() < deadline, 'the host never went down'
        time.sleep(0.2)
    # A host that never sent a heartbeat is not tracked: it stays up.
    assert show(srv, untracked['id'])['status'] == 'up'
    down = list_hosts(srv, status='down')
    assert [h['id'] for h in down['hosts']] == [silent['id']]
    assert down['hosts'][0]['status'] == 'down'
    up = list_hosts(srv, status='up')
    assert [h['id'] for h in up['hosts']] == [untracked['id']]


def test_a_host_id_in_upper_case_finds_the_host(api, make_host):
    host = make_host()
    response = api.request('GET', '/v1/hosts/' + host['id'].upper(),
                           as_='admin')
    assert response.status_code == 200
    assert response.json()['host']['id'] == host['id']


# -- bulk registration ------------------------------------------------------

def test_bulk_registration_creates_every_host_in_order(api, unique):
    names = [unique('bulk') for _ in range(3)]
    response = api.request('POST', '/v1/hosts/bulk', as_='admin', json={
        'hosts': [{'name': n, 'vcpus': 4, 'memory_mb': 2048, 'disk_gb': 10,
                   'traits': ['CUSTOM_BULK'], 'metadata': {'i': str(i)}}
                  for i, n in enumerate(names)]})
    assert response.status_code == 201, response.text
    created = response.json()['hosts']
    assert [h['name'] for h in created] == names
    assert [h['metadata'] for h in created] == [{'i': '0'}, {'i': '1'},
                                                {'i': '2'}]
    for host in created:
        shown = api.request('GET', '/v1/hosts/' + host['id'], as_='admin')
        assert shown.json()['host'] == host
        assert host['availability_zone'] == 'nova'
        assert host['cpu_allocation_ratio'] == 16.0


def test_bulk_registration_is_all_or_nothing(api, unique):
    taken = unique('bulk')
    assert api.request('POST', '/v1/hosts', as_='admin', json={
        'name': taken, 'vcpus': 1, 'memory_mb': 1,
        'disk_gb': 1}).status_code == 201
    fresh = unique('bulk')
    for hosts in ([{'name': fresh}, {'name': taken}],
                  [{'name': fresh}, {'name': fresh}]):
        body = {'hosts': [dict(h, vcpus=1, memory_mb=1, disk_gb=1)
                          for h in hosts]}
        response = api.request('POST', '/v1/hosts/bulk', as_='admin',
                               json=body)
        error = assert_error(response, 409, 'sora.conflict')
        assert error['detail']
        listed = api.request('GET', '/v1/hosts', as_='admin',
                             params={'name': fresh}).json()['hosts']
        assert listed == []


def test_bulk_registration_validates_every_host(api, unique):
    good = {'name': unique('bulk'), 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1}
    for body in ({'hosts': []}, {'hosts': [good, dict(good, vcpus=-1)]},
                 {'hosts': [good], 'extra': 1}, [good],
                 {'hosts': [good] * 1001}):
        assert_error(api.request('POST', '/v1/hosts/bulk', as_='admin',
                                 json=body), 400, 'sora.invalid_request')
    assert api.request('GET', '/v1/hosts', as_='admin', params={
        'name': good['name']}).json()['hosts'] == []


def test_bulk_registration_is_for_admins_only(api, unique):
    body = {'hosts': [{'name': unique('bulk'), 'vcpus': 1, 'memory_mb': 1,
                       'disk_gb': 1}]}
    for who in ('member', 'reader'):
        assert_error(api.request('POST', '/v1/hosts/bulk', as_=who,
                                 json=body), 403, 'sora.forbidden')
