"""Scheduling semantics of the filter scheduler, seen through the API.

Tests on the session's shared server confine their hosts to an availability
zone of their own; tests that need other options start a server of their
own, whose hosts are all the test's.
"""

import collections
import time

import pytest

from tests.functional.server import assert_error


def schedule(srv, resources=None, as_='member', **fields):
    body = {'resources': resources or {'vcpus': 1, 'memory_mb': 512}}
    body.update(fields)
    return srv.request('POST', '/v1/schedules', as_=as_, json=body)


def placed(srv, **fields):
    """Schedule, expect 201, return the host name of each instance."""
    response = schedule(srv, **fields)
    assert response.status_code == 201, response.text
    body = response.json()['schedule']
    assert len(body['allocations']) == body['num_instances']
    return [a['host_name'] for a in body['allocations']]


def placed_schedule(srv, **fields):
    response = schedule(srv, **fields)
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def candidates(srv, **fields):
    """Names of the dry run's candidates, best first."""
    response = schedule(srv, dry_run=True, **fields)
    assert response.status_code == 200, response.text
    return [c['host_name'] for c in response.json()['candidates']]


def no_valid_host(srv, **fields):
    """Schedule, expect 409 no_valid_host, return the last funnel step."""
    error = assert_error(schedule(srv, **fields), 409, 'sora.no_valid_host')
    return error['explanation'][-1]


@pytest.fixture
def zone(unique):
    return unique('az')


@pytest.fixture
def hosts(make_host, zone):
    """``hosts(n, **fields)``: n hosts in the test's zone, ratios 1.0."""
    def _hosts(n, server=None, **fields):
        values = {'availability_zone': zone, 'cpu_allocation_ratio': 1.0,
                  'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0}
        values.update(fields)
        return [make_host(server, **values) for _ in range(n)]
    return _hosts


def names(hosts):
    return [h['name'] for h in hosts]


# -- where a host is and what it offers -----------------------------------

def test_availability_zone_limits_the_hosts(api, hosts, zone, unique):
    [here] = hosts(1)
    [there] = hosts(1, availability_zone=unique('az'))
    assert candidates(api, availability_zone=zone) == [here['name']]
    assert candidates(
        api, availability_zone=there['availability_zone']) == [there['name']]
    assert placed(api, availability_zone=zone) == [here['name']]
    assert api.usage(there['id'])['instances'] == 0


def test_required_and_forbidden_traits_pick_the_hosts_that_match(
        api, hosts, zone):
    ssd, gpu, both, plain = hosts(4)
    for host, traits in ((ssd, ['CUSTOM_SSD']), (gpu, ['CUSTOM_GPU']),
                         (both, ['CUSTOM_SSD', 'CUSTOM_GPU'])):
        response = api.request('PUT', '/v1/hosts/' + host['id'],
                               as_='admin', json={'traits': traits})
        assert response.status_code == 200, response.text
    assert set(candidates(api, availability_zone=zone,
                          required_traits=['CUSTOM_SSD'])) == {
        ssd['name'], both['name']}
    assert set(candidates(api, availability_zone=zone,
                          forbidden_traits=['CUSTOM_GPU'])) == {
        ssd['name'], plain['name']}
    assert placed(api, availability_zone=zone,
                  required_traits=['CUSTOM_SSD'],
                  forbidden_traits=['CUSTOM_GPU']) == [ssd['name']]
    last = no_valid_host(api, availability_zone=zone,
                         required_traits=['CUSTOM_SSD', 'CUSTOM_FPGA'])
    assert last['filter'] == 'TraitsFilter'


def test_metadata_picks_the_hosts_with_every_key_and_value(api, hosts, zone):
    gold, silver, bare = hosts(3)
    for host, metadata in ((gold, {'tier': 'gold', 'rack': 'r1'}),
                           (silver, {'tier': 'silver', 'rack': 'r1'})):
        api.request('PUT', '/v1/hosts/' + host['id'], as_='admin',
                    json={'metadata': metadata})
    assert placed(api, availability_zone=zone,
                  metadata={'tier': 'gold'}) == [gold['name']]
    in_rack = candidates(api, availability_zone=zone, metadata={'rack': 'r1'})
    assert set(in_rack) == set(names([gold, silver]))
    last = no_valid_host(api, availability_zone=zone,
                         metadata={'tier': 'gold', 'rack': 'r2'})
    assert last['filter'] == 'MetadataFilter'
    assert api.usage(bare['id'])['instances'] == 0


# -- server groups --------------------------------------------------------

def test_hard_affinity_puts_every_member_on_one_host_across_requests(
        api, hosts, zone, unique):
    hosts(3, vcpus=8)
    hints = {'group': unique('group'), 'group_policy': 'affinity'}
    first = placed(api, availability_zone=zone, num_instances=3,
                   resources={'vcpus': 2}, hints=hints)
    assert len(set(first)) == 1
    # The spreading weighers would pick another host; the group wins.
    second = placed(api, availability_zone=zone, resources={'vcpus': 2},
                    hints=hints)
    assert second == first[:1]
    # The group's host is full: no other host will do.
    last = no_valid_host(api, availability_zone=zone,
                         resources={'vcpus': 2}, hints=hints)
    assert last['filter'] in ('CoreFilter', 'ServerGroupAffinityFilter')
    # The same group name in another project is another group.
    assert placed(api, as_='other', availability_zone=zone,
                  resources={'vcpus': 2}, hints=hints) != first[:1]


def test_hard_anti_affinity_gives_each_member_its_own_host(
        api, hosts, zone, unique):
    three = hosts(3)
    hints = {'group': unique('group'), 'group_policy': 'anti-affinity'}
    first = placed_schedule(api, availability_zone=zone, num_instances=2,
                            hints=hints)
    second = placed(api, availability_zone=zone, hints=hints)
    used = [a['host_name'] for a in first['allocations']] + second
    assert sorted(used) == sorted(names(three))
    last = no_valid_host(api, availability_zone=zone, hints=hints)
    assert last['filter'] == 'ServerGroupAntiAffinityFilter'
    # The group spans live schedules only: deleting one frees its hosts.
    assert api.request('DELETE', '/v1/schedules/' + first['id'],
                       as_='member').status_code == 204
    again = placed(api, availability_zone=zone, num_instances=2, hints=hints)
    assert sorted(again + second) == sorted(names(three))


def test_hard_anti_affinity_with_more_instances_than_hosts_is_409(
        api, hosts, zone, unique):
    three = hosts(3)
    hints = {'group': unique('group'), 'group_policy': 'anti-affinity'}
    last = no_valid_host(api, availability_zone=zone, num_instances=4,
                         hints=hints)
    assert last['filter'] == 'ServerGroupAntiAffinityFilter'
    for host in three:
        assert api.usage(host['id'])['instances'] == 0


def test_soft_affinity_prefers_the_groups_host_and_spills_when_full(
        start_server, make_host):
    srv = start_server(
        {'filter_scheduler': {'soft_affinity_weight_multiplier': 10}})
    three = [make_host(srv, name=name, vcpus=4, cpu_allocation_ratio=1.0)
             for name in ('s1', 's2', 's3')]
    # Without a group the default weighers spread.
    assert sorted(placed(srv, num_instances=3)) == ['s1', 's2', 's3']
    for host in three:
        assert srv.usage(host['id'])['instances'] == 1
    hints = {'group': 'g', 'group_policy': 'soft-affinity'}
    together = placed(srv, num_instances=3, hints=hints)
    assert len(set(together)) == 1
    # Its host has no room left; a soft policy places elsewhere.
    spilled = placed(srv, hints=hints)
    assert spilled != together[:1]


def test_soft_anti_affinity_spreads_the_group_and_stacks_when_it_must(
        start_server, make_host):
    srv = start_server({'filter_scheduler': {
        'ram_weight_multiplier': -1, 'cpu_weight_multiplier': -1,
        'disk_weight_multiplier': -1,
        'soft_anti_affinity_weight_multiplier': 10}})
    for name in ('s1', 's2', 's3'):
        make_host(srv, name=name)
    # Without a group the stacking weighers put everything on one host.
    assert len(set(placed(srv, num_instances=3))) == 1
    hints = {'group': 'g', 'group_policy': 'soft-anti-affinity'}
    apart = placed(srv, num_instances=3, hints=hints)
    assert sorted(apart) == ['s1', 's2', 's3']
    # More members than hosts still fit: no host gets a third.
    more = placed(srv, num_instances=3, hints=hints)
    counts = collections.Counter(apart + more)
    assert sorted(counts.values()) == [2, 2, 2]


# -- hints that name schedules, hosts or a query ---------------------------

def test_same_host_and_different_host_follow_the_named_schedules(
        api, hosts, zone):
    three = hosts(3)
    anchor = placed_schedule(api, availability_zone=zone)
    anchor_host = anchor['allocations'][0]['host_name']
    assert placed(api, availability_zone=zone, num_instances=2,
                  hints={'same_host': [anchor['id']]}) == [anchor_host] * 2
    apart = placed(api, availability_zone=zone, num_instances=2,
                   hints={'different_host': [anchor['id']]})
    assert anchor_host not in apart
    assert set(apart) <= set(names(three))
    last = no_valid_host(api, availability_zone=zone,
                         resources={'vcpus': 100},
                         hints={'same_host': [anchor['id']]})
    assert last['hosts_out'] == 0


def test_a_json_query_filters_on_host_attributes(api, hosts, zone):
    small, = hosts(1, memory_mb=2048)
    big, = hosts(1, memory_mb=32768)
    assert candidates(api, availability_zone=zone, hints={
        'query': ['>=', '$free_ram_mb', 4096]}) == [big['name']]
    assert candidates(api, availability_zone=zone, hints={
        'query': ['and', ['>=', '$free_ram_mb', 1024],
                  ['=', '$name', small['name']]]}) == [small['name']]
    assert set(candidates(api, availability_zone=zone, hints={
        'query': ['or', ['=', '$name', small['name']],
                  ['not', ['<', '$memory_mb', 10000]]]})) == {
        small['name'], big['name']}
    # A query sees usage: once the big host is nearly full, it drops out.
    assert placed(api, availability_zone=zone, resources={'memory_mb': 30000},
                  hints={'query': ['>=', '$free_ram_mb', 30000]}) == [
        big['name']]
    last = no_valid_host(api, availability_zone=zone, hints={
        'query': ['>=', '$free_ram_mb', 4096]})
    assert last['filter'] == 'JsonFilter'


def test_ignore_hosts_leaves_out_the_named_hosts(api, hosts, zone):
    best, = hosts(1, memory_mb=65536)
    other, = hosts(1)
    assert placed(api, availability_zone=zone) == [best['name']]
    assert placed(api, availability_zone=zone,
                  hints={'ignore_hosts': [best['name']]}) == [other['name']]
    last = no_valid_host(api, availability_zone=zone, hints={
        'ignore_hosts': names([best, other])})
    assert last['filter'] == 'IgnoreHostsFilter'


def test_force_hosts_insists_on_the_named_hosts_but_not_past_their_room(
        api, hosts, zone):
    best, = hosts(1, memory_mb=65536)
    forced, = hosts(1, vcpus=2)
    assert placed(api, availability_zone=zone, num_instances=2,
                  hints={'force_hosts': [forced['name']]}) == [
        forced['name']] * 2
    no_valid_host(api, availability_zone=zone,
                  hints={'force_hosts': [forced['name']]})
    assert api.usage(forced['id'])['vcpus_used'] == 2
    assert api.usage(best['id'])['instances'] == 0


# -- how busy a host may be ------------------------------------------------

def test_num_instances_filter_caps_instances_per_host(start_server,
                                                      make_host):
    srv = start_server({'filter_scheduler': {'max_instances_per_host': 2}})
    two = [make_host(srv) for _ in range(2)]
    assert sorted(collections.Counter(
        placed(srv, num_instances=4)).values()) == [2, 2]
    assert no_valid_host(srv)['filter'] == 'NumInstancesFilter'
    for host in two:
        assert srv.usage(host['id'])['instances'] == 2


def test_io_ops_filter_skips_hosts_reporting_too_much_work(api, hosts, zone):
    busy, idle = hosts(2, memory_mb=65536)
    for host, io_ops in ((busy, 8), (idle, 7)):  # max_io_ops_per_host 8
        response = api.request('POST', '/v1/hosts/%s/heartbeat' % host['id'],
                               as_='admin', json={'io_ops': io_ops})
        assert response.status_code == 204, response.text
    assert candidates(api, availability_zone=zone) == [idle['name']]
    assert placed(api, availability_zone=zone) == [idle['name']]
    # Each instance being built counts as an operation, so a second
    # instance in the same request would find no host.
    last = no_valid_host(api, availability_zone=zone, num_instances=2)
    assert last['filter'] == 'IoOpsFilter'


def test_a_disabled_host_is_skipped(api, hosts, zone):
    disabled, enabled = hosts(2)
    response = api.request('PUT', '/v1/hosts/' + disabled['id'], as_='admin',
                           json={'enabled': False,
                                 'disabled_reason': 'maintenance'})
    assert response.status_code == 200, response.text
    assert placed(api, availability_zone=zone, num_instances=2) == [
        enabled['name']] * 2
    api.request('PUT', '/v1/hosts/' + enabled['id'], as_='admin',
                json={'enabled': False})
    assert no_valid_host(api, availability_zone=zone)['filter'] == (
        'ComputeFilter')


def test_a_down_host_is_skipped(start_server, make_host):
    srv = start_server({'scheduler': {'service_down_time': 1}})
    down = make_host(srv, name='down', memory_mb=65536)
    up = make_host(srv, name='up')
    srv.request('POST', '/v1/hosts/%s/heartbeat' % down['id'], as_='admin')
    deadline = time.monotonic() + 10
    while srv.request('GET', '/v1/hosts/' + down['id'],
                      as_='admin').json()['host']['status'] != 'down':
        assert time.monotonic() < deadline, 'host never went down'
        time.sleep(0.2)
    # A host that never sent a heartbeat is not tracked, so it is up.
    assert placed(srv, num_instances=2) == ['up', 'up']
    assert srv.usage(down['id'])['instances'] == 0
    assert srv.usage(up['id'])['instances'] == 2


# -- capacity --------------------------------------------------------------

def test_allocation_ratios_and_reserved_capacity_are_honoured(
        api, hosts, zone):
    # usable vcpus = 4 * 2.0 - 2 = 6; memory = 4096 * 1.5 - 1024 = 5120
    host, = hosts(1, vcpus=4, cpu_allocation_ratio=2.0, reserved_vcpus=2,
                  memory_mb=4096, ram_allocation_ratio=1.5,
                  reserved_memory_mb=1024)
    assert placed(api, availability_zone=zone, num_instances=3,
                  resources={'vcpus': 2}) == [host['name']] * 3
    assert no_valid_host(api, availability_zone=zone,
                         resources={'vcpus': 1})['filter'] == 'CoreFilter'
    assert placed(api, availability_zone=zone,
                  resources={'memory_mb': 5120}) == [host['name']]
    assert no_valid_host(api, availability_zone=zone,
                         resources={'memory_mb': 1})['filter'] == 'RamFilter'
    assert api.usage(host['id']) == {'vcpus_used': 6, 'memory_mb_used': 5120,
                                      'disk_gb_used': 0, 'instances': 4}


def test_disk_is_checked_like_the_others(api, hosts, zone):
    host, = hosts(1, disk_gb=100, reserved_disk_gb=40)
    assert placed(api, availability_zone=zone,
                  resources={'disk_gb': 60}) == [host['name']]
    assert no_valid_host(api, availability_zone=zone,
                         resources={'disk_gb': 1})['filter'] == 'DiskFilter'


def test_each_placed_instance_consumes_before_the_next(api, hosts, zone):
    two = hosts(2, vcpus=4)
    names_placed = placed(api, availability_zone=zone, num_instances=4,
                          resources={'vcpus': 2})
    assert sorted(collections.Counter(names_placed).values()) == [2, 2]
    for host in two:
        assert api.usage(host['id'])['vcpus_used'] == 4


@pytest.mark.parametrize('multiplier, spread', [(1.0, True), (-1.0, False)])
def test_ram_weigher_spreads_when_positive_and_stacks_when_negative(
        start_server, make_host, multiplier, spread):
    srv = start_server({'filter_scheduler': {
        'weighers': 'RAMWeigher', 'ram_weight_multiplier': multiplier}})
    for name in ('h1', 'h2', 'h3'):
        make_host(srv, name=name, memory_mb=8192)
    first = placed(srv, resources={'memory_mb': 1024})
    second = placed(srv, resources={'memory_mb': 1024})
    third = placed(srv, resources={'memory_mb': 1024})
    used = first + second + third
    assert len(set(used)) == (3 if spread else 1)


def test_equally_weighed_hosts_rank_oldest_first(start_server):
    """Hosts registered one by one, identical: a dry run lists them in the
    order they were created, whatever their ids, on a server that caught
    up with them in one read and on one that loaded them at start."""
    srv = start_server()
    names = ['tie-%02d' % i for i in range(24)]
    for name in names:
        assert srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'vcpus': 8, 'memory_mb': 8192,
            'disk_gb': 80}).status_code == 201
    for _ in range(2):
        response = srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}, 'dry_run': True})
        assert response.status_code == 200, response.text
        assert [c['host_name'] for c in response.json()['candidates']] == \
            names[:len(response.json()['candidates'])]
        srv.stop()
        srv.start()
