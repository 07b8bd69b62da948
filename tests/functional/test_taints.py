"""Taints and tolerations, dedicated hosts and preferences, through a real
server (``Placement policies`` in the contract).

Tests on the session's shared server confine their hosts to an availability
zone of their own.
"""

import pytest

from tests.functional.server import assert_error

GPU = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}
SPOT = {'key': 'spot', 'value': '', 'effect': 'PreferNoSchedule'}
GOLD = ['=', '$metadata.tier', 'gold']


@pytest.fixture
def zone(unique):
    return unique('az')


@pytest.fixture
def host(make_host, zone):
    """``host(**fields)``: a host in the test's zone, 8 vCPUs, ratios 1.0."""
    def _host(**fields):
        values = {'availability_zone': zone, 'cpu_allocation_ratio': 1.0,
                  'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0}
        values.update(fields)
        return make_host(**values)
    return _host


def schedule(api, zone, as_='member', vcpus=1, **fields):
    body = {'resources': {'vcpus': vcpus, 'memory_mb': 512}}
    if zone is not None:
        body['availability_zone'] = zone
    body.update(fields)
    return api.request('POST', '/v1/schedules', as_=as_, json=body)


def placed(api, zone, **fields):
    response = schedule(api, zone, **fields)
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def dry_run(api, zone, **fields):
    response = schedule(api, zone, dry_run=True, **fields)
    assert response.status_code == 200, response.text
    return response.json()['candidates']


def update_host(api, host, **fields):
    response = api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                           json=fields)
    assert response.status_code == 200, response.text
    return response.json()['host']


def host_names(allocations):
    return [a['host_name'] for a in allocations]


# -- hosts carry taints and projects ---------------------------------------

def test_a_host_keeps_its_taints_and_projects(api, host):
    created = host(taints=[GPU, {'key': 'spot',
                                 'effect': 'PreferNoSchedule'}],
                   projects=['project-b', 'project-a'])
    assert created['taints'] == [GPU, SPOT]
    assert created['projects'] == ['project-a', 'project-b']
    shown = api.request('GET', '/v1/hosts/' + created['id'],
                        as_='admin').json()['host']
    assert (shown['taints'], shown['projects']) == (
        created['taints'], created['projects'])
    changed = update_host(api, created, taints=[SPOT])
    assert changed['taints'] == [SPOT]
    assert changed['projects'] == ['project-a', 'project-b']
    changed = update_host(api, created, projects=[])
    assert changed['projects'] == [] and changed['taints'] == [SPOT]


def test_a_plain_host_has_no_taints_and_takes_every_project(api, host):
    plain = host()
    assert (plain['taints'], plain['projects']) == ([], [])


def test_a_bulk_registration_carries_taints_and_projects(api, unique, zone):
    response = api.request('POST', '/v1/hosts/bulk', as_='admin', json={
        'hosts': [{'name': unique(), 'vcpus': 1, 'memory_mb': 1,
                   'disk_gb': 1, 'availability_zone': zone,
                   'taints': [GPU], 'projects': ['project-a']}]})
    assert response.status_code == 201, response.text
    [registered] = response.json()['hosts']
    assert registered['taints'] == [GPU]
    assert registered['projects'] == ['project-a']


@pytest.mark.parametrize('fields, field', [
    ({'taints': [{'key': 'gpu', 'effect': 'NoExecute'}]}, 'taints/0/effect'),
    ({'taints': [{'key': 'gpu'}]}, 'taints/0'),
    ({'taints': [{'key': '', 'effect': 'NoSchedule'}]}, 'taints/0/key'),
    ({'taints': [{'key': 'gpu', 'effect': 'NoSchedule', 'x': 1}]},
     'taints/0'),
    ({'taints': [GPU, dict(GPU, value='no')]}, 'taints/1'),
    ({'taints': {'gpu': 'yes'}}, 'taints'),
    ({'projects': ['']}, 'projects/0'),
    ({'projects': [7]}, 'projects/0'),
    ({'projects': ['p\x00']}, 'projects/0'),
    ({'projects': ['p' * 256]}, 'projects/0'),
    ({'projects': ['p1', 'p1']}, 'projects'),
    ({'projects': 'p1'}, 'projects'),
])
def test_bad_taints_and_projects_are_a_400_naming_the_field(
        api, host, unique, fields, field):
    name = unique()
    response = api.request('POST', '/v1/hosts', as_='admin', json=dict(
        {'name': name, 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1}, **fields))
    error = assert_error(response, 400, 'sora.invalid_request')
    assert ('field %s:' % field) in error['detail'], error['detail']
    listed = api.request('GET', '/v1/hosts?name=' + name, as_='admin')
    assert listed.json()['hosts'] == []
    existing = host(taints=[SPOT], projects=['project-a'])
    response = api.request('PUT', '/v1/hosts/' + existing['id'],
                           as_='admin', json=fields)
    error = assert_error(response, 400, 'sora.invalid_request')
    assert ('field %s:' % field) in error['detail'], error['detail']
    shown = api.request('GET', '/v1/hosts/' + existing['id'],
                        as_='admin').json()['host']
    assert shown['taints'] == [SPOT] and shown['projects'] == ['project-a']
    assert shown['generation'] == existing['generation']


def test_a_bad_taint_in_a_bulk_registration_names_the_host(api, unique):
    response = api.request('POST', '/v1/hosts/bulk', as_='admin', json={
        'hosts': [{'name': unique(), 'vcpus': 1, 'memory_mb': 1,
                   'disk_gb': 1, 'taints': [GPU, GPU]}]})
    error = assert_error(response, 400, 'sora.invalid_request')
    assert 'field hosts/0/taints' in error['detail'], error['detail']


# -- taints and tolerations -----------------------------------------------

def test_an_untolerated_no_schedule_taint_keeps_requests_off(api, host,
                                                             zone):
    gpu = host(taints=[GPU])
    response = schedule(api, zone)
    error = assert_error(response, 409, 'sora.no_valid_host')
    assert error['explanation'][-1] == {
        'filter': 'TaintTolerationFilter', 'hosts_in': 1, 'hosts_out': 0}
    assert api.usage(gpu['id'])['instances'] == 0
    tolerant = placed(api, zone, tolerations=[{'key': 'gpu',
                                               'value': 'yes'}])
    assert host_names(tolerant['allocations']) == [gpu['name']]
    assert tolerant['tolerations'] == [{'key': 'gpu', 'value': 'yes'}]


@pytest.mark.parametrize('toleration, tolerated', [
    ({'key': 'gpu', 'operator': 'Exists'}, True),
    ({'key': 'gpu', 'operator': 'Exists', 'effect': 'NoSchedule'}, True),
    ({'operator': 'Exists'}, True),
    ({'key': 'gpu', 'value': 'no'}, False),
    ({'key': 'gpu', 'operator': 'Exists', 'effect': 'PreferNoSchedule'},
     False),
])
def test_tolerations_match_as_kubernetes_does(api, host, zone, toleration,
                                              tolerated):
    gpu = host(taints=[GPU])
    found = [c['host_name'] for c in dry_run(api, zone,
                                             tolerations=[toleration])]
    assert found == ([gpu['name']] if tolerated else [])


def test_a_prefer_no_schedule_taint_only_weighs_a_host_down(api, host,
                                                            zone):
    # The tainted host has the most free RAM, yet comes last.
    spot = host(taints=[SPOT], memory_mb=65536)
    plain = host(memory_mb=4096)
    ranked = dry_run(api, zone)
    assert [c['host_name'] for c in ranked] == [plain['name'], spot['name']]
    assert ranked[0]['weights']['TaintTolerationWeigher'] == 2.0
    assert ranked[1]['weights']['TaintTolerationWeigher'] == 0.0
    tolerant = dry_run(api, zone, tolerations=[{'key': 'spot',
                                                'operator': 'Exists'}])
    assert [c['host_name'] for c in tolerant] == [spot['name'],
                                                  plain['name']]
    # With nothing else left, the request lands there.
    update_host(api, plain, enabled=False)
    assert host_names(placed(api, zone)['allocations']) == [spot['name']]


def test_a_new_taint_reaches_the_scheduler_at_once(api, host, zone):
    first, second = host(), host()
    assert len(dry_run(api, zone)) == 2
    update_host(api, first, taints=[GPU])
    assert [c['host_name'] for c in dry_run(api, zone)] == [second['name']]
    update_host(api, second, taints=[GPU])
    assert_error(schedule(api, zone), 409, 'sora.no_valid_host')
    update_host(api, first, taints=[])
    assert host_names(placed(api, zone)['allocations']) == [first['name']]


@pytest.mark.parametrize('toleration, field', [
    ({'key': 'gpu', 'operator': 'In'}, 'tolerations/0/operator'),
    ({'key': 'gpu', 'operator': 'exists'}, 'tolerations/0/operator'),
    ({'key': 'gpu', 'effect': 'NoExecute'}, 'tolerations/0/effect'),
    ({'key': 'gpu', 'operator': 'Exists', 'value': 'yes'},
     'tolerations/0/value'),
    ({'key': 'gpu', 'operator': 'Exists', 'value': ''},
     'tolerations/0/value'),
    ({'value': 'yes'}, 'tolerations/0/key'),
    ({'key': 'gpu', 'colour': 'red'}, 'tolerations/0'),
    ({'key': ''}, 'tolerations/0/key'),
])
def test_bad_tolerations_are_a_400_naming_the_field(api, host, zone,
                                                     toleration, field):
    free = host()
    for dry in (False, True):
        response = schedule(api, zone, tolerations=[toleration], dry_run=dry)
        error = assert_error(response, 400, 'sora.invalid_request')
        assert ('field %s:' % field) in error['detail'], error['detail']
    assert api.usage(free['id'])['instances'] == 0


# -- dedicated hosts ---------------------------------------------------------

def test_a_dedicated_host_takes_only_its_projects(api, host, zone):
    theirs = host(projects=['project-b'])
    error = assert_error(schedule(api, zone), 409, 'sora.no_valid_host')
    assert error['explanation'][-1] == {
        'filter': 'ProjectIsolationFilter', 'hosts_in': 1, 'hosts_out': 0}
    other = placed(api, zone, as_='other')
    assert host_names(other['allocations']) == [theirs['name']]
    shared = host()
    assert host_names(placed(api, zone)['allocations']) == [shared['name']]
    update_host(api, theirs, projects=['project-b', 'project-a'])
    found = {c['host_name'] for c in dry_run(api, zone)}
    assert found == {theirs['name'], shared['name']}


# -- preferences ----------------------------------------------------------

def test_a_preference_ranks_matching_hosts_first_but_never_filters(
        api, host, zone):
    big = host(memory_mb=65536)
    gold = host(memory_mb=4096, metadata={'tier': 'gold'})
    ranked = dry_run(api, zone, preferences=[{'weight': 100,
                                              'query': GOLD}])
    assert [c['host_name'] for c in ranked] == [gold['name'], big['name']]
    assert ranked[0]['weights']['PreferenceWeigher'] == 2.0
    pushed = dry_run(api, zone, preferences=[{'weight': -100,
                                              'query': GOLD}])
    assert [c['host_name'] for c in pushed] == [big['name'], gold['name']]
    # A preference nobody matches changes nothing and fails nothing.
    made = placed(api, zone, preferences=[
        {'weight': 100, 'query': ['=', '$metadata.tier', 'platinum']}])
    assert host_names(made['allocations']) == [big['name']]
    assert made['preferences'] == [
        {'weight': 100, 'query': ['=', '$metadata.tier', 'platinum']}]


def test_preference_weights_add_up(api, host, zone):
    gold = host(metadata={'tier': 'gold'})
    both = host(metadata={'tier': 'gold', 'ssd': 'yes'})
    ssd = host(metadata={'ssd': 'yes'})
    ranked = dry_run(api, zone, preferences=[
        {'weight': 30, 'query': GOLD},
        {'weight': 50, 'query': ['=', '$metadata.ssd', 'yes']}])
    assert [c['host_name'] for c in ranked] == [both['name'], ssd['name'],
                                                gold['name']]


def test_each_instance_of_a_request_sees_the_earlier_ones(start_server,
                                                         make_host):
    # Only the preferences weigh; equal weights go to the oldest host.
    srv = start_server({'filter_scheduler': {
        'weighers': 'PreferenceWeigher'}})
    other = make_host(srv, vcpus=6, cpu_allocation_ratio=1.0)
    gold = make_host(srv, vcpus=6, cpu_allocation_ratio=1.0,
                     metadata={'tier': 'gold'})
    # The gold host matches while it has 4 vCPUs free: three instances.
    made = placed(srv, None, num_instances=4, preferences=[
        {'weight': 100, 'query': ['and', GOLD, ['>=', '$free_vcpus', 4]]}])
    assert host_names(made['allocations']) == [gold['name']] * 3 + [
        other['name']]


@pytest.mark.parametrize('preference, field', [
    ({'weight': 0, 'query': GOLD}, 'preferences/0/weight'),
    ({'weight': 101, 'query': GOLD}, 'preferences/0/weight'),
    ({'weight': -101, 'query': GOLD}, 'preferences/0/weight'),
    ({'weight': 1.5, 'query': GOLD}, 'preferences/0/weight'),
    ({'weight': '50', 'query': GOLD}, 'preferences/0/weight'),
    ({'query': GOLD}, 'preferences/0'),
    ({'weight': 50}, 'preferences/0'),
    ({'weight': 50, 'query': ['~', '$name', 'x']}, 'preferences/0/query'),
    ({'weight': 50, 'query': ['=', '$nonsense', 1]}, 'preferences/0/query'),
    ({'weight': 50, 'query': ['not', GOLD, GOLD]}, 'preferences/0/query'),
    ({'weight': 50, 'query': []}, 'preferences/0/query'),
    ({'weight': 50, 'query': 'tier=gold'}, 'preferences/0/query'),
    ({'weight': 50, 'query': ['=', '$name', 'x' * 256]},
     'preferences/0/query'),
    ({'weight': 50, 'query': GOLD, 'hard': True}, 'preferences/0'),
])
def test_bad_preferences_are_a_400_naming_the_field(api, host, zone,
                                                    preference, field):
    free = host()
    for dry in (False, True):
        response = schedule(api, zone, preferences=[preference], dry_run=dry)
        error = assert_error(response, 400, 'sora.invalid_request')
        assert ('field %s:' % field) in error['detail'], error['detail']
    assert api.usage(free['id'])['instances'] == 0


# -- moves, resizes and drains honour them ------------------------------------

def test_a_move_honours_taints_projects_and_tolerations(api, host, zone):
    first = host()
    made = placed(api, zone)
    assert host_names(made['allocations']) == [first['name']]
    tainted = host(taints=[GPU])
    host(projects=['project-b'])
    move = '/v1/schedules/%s/move' % made['id']
    error = assert_error(api.request('POST', move, as_='member', json={}),
                         409, 'sora.no_valid_host')
    assert api.usage(first['id'])['instances'] == 1
    update_host(api, tainted, taints=[SPOT])
    moved = api.request('POST', move, as_='member', json={})
    assert moved.status_code == 200, moved.text
    assert host_names(moved.json()['schedule']['allocations']) == [
        tainted['name']]
    assert error['explanation']


def test_a_moved_schedule_keeps_its_tolerations(api, host, zone):
    a, b = host(taints=[GPU]), host(taints=[GPU])
    made = placed(api, zone, tolerations=[{'key': 'gpu',
                                           'operator': 'Exists'}])
    [before] = host_names(made['allocations'])
    moved = api.request('POST', '/v1/schedules/%s/move' % made['id'],
                        as_='member', json={})
    assert moved.status_code == 200, moved.text
    [after] = host_names(moved.json()['schedule']['allocations'])
    assert {before, after} == {a['name'], b['name']}


def test_a_resize_that_must_move_honours_taints(api, host, zone):
    small = host(vcpus=2)
    made = placed(api, zone, vcpus=2)
    assert host_names(made['allocations']) == [small['name']]
    big = host(vcpus=8, taints=[GPU])
    resize = '/v1/schedules/%s/resize' % made['id']
    assert_error(api.request('POST', resize, as_='member', json={
        'resources': {'vcpus': 4, 'memory_mb': 512}}),
        409, 'sora.no_valid_host')
    update_host(api, big, taints=[])
    resized = api.request('POST', resize, as_='member', json={
        'resources': {'vcpus': 4, 'memory_mb': 512}})
    assert resized.status_code == 200, resized.text
    assert host_names(resized.json()['schedule']['allocations']) == [
        big['name']]


def test_a_drain_moves_only_where_taints_and_projects_allow(api, host,
                                                            zone):
    source = host()
    made = placed(api, zone)
    host(taints=[GPU])
    theirs = host(projects=['project-b'])
    drain = '/v1/hosts/%s/drain' % source['id']
    plan = api.request('POST', drain, as_='admin', json={'dry_run': True})
    assert plan.status_code == 200, plan.text
    assert plan.json()['moves'] == []
    [stuck] = plan.json()['stuck']
    assert stuck['schedule_id'] == made['id']
    mine = host(projects=['project-a'], taints=[SPOT])
    drained = api.request('POST', drain, as_='admin', json={})
    assert drained.status_code == 200, drained.text
    [moved] = drained.json()['moves']
    assert (moved['schedule_id'], moved['to_host']) == (made['id'],
                                                        mine['name'])
    assert api.usage(theirs['id'])['instances'] == 0
