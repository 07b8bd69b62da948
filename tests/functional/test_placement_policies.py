"""Placement policies through the API: topology keys, max per domain,
spreads, a group's fixed policy, and the hints' bad input.

Tests share the session's server: each confines its hosts with a metadata
pair of its own (``suite``) that its requests ask for, and its zones and
groups have names of their own.
"""

import collections

import pytest

from tests.functional.server import assert_error


@pytest.fixture
def fleet(api, make_host, unique):
    """``fleet({zone_suffix: count}, **fields)``: hosts only this test's
    requests (``ask``) reach; returns them and the request's base."""
    suite = unique('suite')
    zones = {}

    def build(layout, racks=None, **fields):
        made = []
        for zone, count in layout.items():
            zones.setdefault(zone, unique('az'))
            for _ in range(count):
                metadata = {'suite': suite}
                if racks is not None and racks[len(made)] is not None:
                    metadata['rack'] = racks[len(made)]
                values = {'availability_zone': zones[zone],
                          'metadata': metadata, 'vcpus': 4,
                          'cpu_allocation_ratio': 1.0}
                values.update(fields)
                made.append(make_host(**values))
        return made

    build.zones = zones
    build.ask = {'resources': {'vcpus': 1, 'memory_mb': 128},
                 'metadata': {'suite': suite}}
    return build


def post(api, base, hints=None, **fields):
    body = dict(base, **fields)
    if hints is not None:
        body['hints'] = hints
    return api.request('POST', '/v1/schedules', as_='member', json=body)


def placed(api, base, hints=None, **fields):
    response = post(api, base, hints, **fields)
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def zones_of(hosts, schedule):
    zone = {h['id']: h['availability_zone'] for h in hosts}
    return collections.Counter(zone[a['host_id']]
                               for a in schedule['allocations'])


def anti(group, key='availability_zone', **extra):
    return dict({'group': group, 'group_policy': 'anti-affinity',
                 'group_topology_key': key}, **extra)


def test_anti_affinity_per_zone_puts_no_two_members_in_one_zone(
        api, fleet, unique):
    hosts = fleet({'a': 2, 'b': 2, 'c': 2})
    group = unique('g')
    first = placed(api, fleet.ask, anti(group), num_instances=2)
    second = placed(api, fleet.ask, anti(group))
    counts = zones_of(hosts, first) + zones_of(hosts, second)
    assert sorted(counts.values()) == [1, 1, 1]
    error = assert_error(post(api, fleet.ask, anti(group)), 409,
                         'sora.no_valid_host')
    assert error['explanation'][-1]['filter'] == (
        'ServerGroupAntiAffinityFilter')


def test_max_per_domain_allows_that_many_members_per_zone(
        api, fleet, unique):
    hosts = fleet({'a': 3, 'b': 3})
    group = unique('g')
    schedule = placed(api, fleet.ask, anti(group, max_per_domain=2),
                      num_instances=4)
    assert sorted(zones_of(hosts, schedule).values()) == [2, 2]
    assert_error(post(api, fleet.ask, anti(group, max_per_domain=2)), 409,
                 'sora.no_valid_host')


def test_max_per_domain_on_host_is_novas_max_server_per_host(
        api, fleet, unique):
    fleet({'a': 2})
    group = unique('g')
    schedule = placed(api, fleet.ask, anti(group, 'host', max_per_domain=2),
                      num_instances=4)
    per_host = collections.Counter(a['host_id']
                                   for a in schedule['allocations'])
    assert sorted(per_host.values()) == [2, 2]


def test_affinity_on_a_rack_keeps_members_in_one_rack(api, fleet, unique):
    hosts = fleet({'a': 5}, racks=['r1', 'r1', 'r2', 'r2', None])
    rack = {h['id']: h['metadata'].get('rack') for h in hosts}
    group = unique('g')
    hints = {'group': group, 'group_policy': 'affinity',
             'group_topology_key': 'metadata.rack'}
    schedule = placed(api, fleet.ask, hints, num_instances=6)
    more = placed(api, fleet.ask, hints, num_instances=2)
    racks = {rack[a['host_id']]
             for a in schedule['allocations'] + more['allocations']}
    assert len(racks) == 1 and None not in racks
    # Two hosts of 4 vCPUs: the rack is full, no other rack may take more.
    error = assert_error(post(api, fleet.ask, hints), 409,
                         'sora.no_valid_host')
    assert error['explanation'][-1]['hosts_out'] == 0


def test_a_hard_policy_on_a_metadata_key_skips_hosts_without_it(
        api, fleet, unique):
    hosts = fleet({'a': 2}, racks=[None, 'r1'])
    schedule = placed(api, fleet.ask, anti(unique('g'), 'metadata.rack'))
    assert schedule['allocations'][0]['host_id'] == hosts[1]['id']


def test_soft_anti_affinity_per_zone_prefers_an_empty_zone(
        api, fleet, unique):
    hosts = fleet({'a': 2, 'b': 1})
    zone = {h['name']: h['availability_zone'] for h in hosts}
    group = unique('g')
    hints = {'group': group, 'group_policy': 'soft-anti-affinity',
             'group_topology_key': 'availability_zone'}
    placed(api, fleet.ask, hints, availability_zone=fleet.zones['a'])
    response = post(api, fleet.ask, hints, dry_run=True)
    assert response.status_code == 200, response.text
    best = response.json()['candidates'][0]
    assert zone[best['host_name']] == fleet.zones['b']
    # Both zone-a hosts weigh alike, the one without a member too.
    weights = {zone[c['host_name']]: set() for c in
               response.json()['candidates']}
    for c in response.json()['candidates']:
        weights[zone[c['host_name']]].add(
            c['weights']['ServerGroupSoftAntiAffinityWeigher'])
    assert weights == {fleet.zones['a']: {0.0}, fleet.zones['b']: {1.0}}


def test_spread_within_one_request_balances_the_zones(api, fleet):
    hosts = fleet({'a': 3, 'b': 1, 'c': 1})
    schedule = placed(api, fleet.ask, {'spread': {
        'key': 'availability_zone', 'max_skew': 1}}, num_instances=6)
    assert sorted(zones_of(hosts, schedule).values()) == [2, 2, 2]


def test_spread_across_requests_of_a_group_keeps_max_skew(
        api, fleet, unique):
    hosts = fleet({'a': 2, 'b': 2})
    hints = {'group': unique('g'), 'spread': {'key': 'availability_zone'}}
    counts = collections.Counter()
    for _ in range(4):
        counts += zones_of(hosts, placed(api, fleet.ask, hints))
        assert max(counts.values()) - min(
            [counts[fleet.zones[z]] for z in 'ab']) <= 1
    assert sorted(counts.values()) == [2, 2]


def test_a_full_zone_drops_out_of_the_balance(api, fleet):
    # The domains balanced are those of the hosts every other filter
    # keeps: once zone b has no room, zone a takes the rest.
    hosts = fleet({'a': 2})
    hosts += fleet({'b': 1}, vcpus=1)
    schedule = placed(api, fleet.ask, {'spread': {
        'key': 'availability_zone', 'max_skew': 1}}, num_instances=4)
    assert zones_of(hosts, schedule) == {fleet.zones['a']: 3,
                                         fleet.zones['b']: 1}


def test_do_not_schedule_refuses_hosts_without_the_key(api, fleet):
    fleet({'a': 2})
    error = assert_error(post(api, fleet.ask, {'spread': {
        'key': 'metadata.rack'}}), 409, 'sora.no_valid_host')
    assert error['explanation'][-1] == {
        'filter': 'TopologySpreadFilter', 'hosts_in': 2, 'hosts_out': 0}


def test_the_spread_filter_runs_after_every_other_filter(api, fleet):
    fleet({'a': 1})
    response = post(api, fleet.ask, {'spread': {'key': 'host'}},
                    dry_run=True)
    assert response.json()['explanation'][-1]['filter'] == (
        'TopologySpreadFilter')


def test_schedule_anyway_weighs_but_still_places(api, fleet):
    fleet({'a': 2})
    fleet({'b': 1}, vcpus=1)
    schedule = placed(api, fleet.ask, {'spread': {
        'key': 'availability_zone',
        'when_unsatisfiable': 'schedule_anyway'}}, num_instances=4)
    assert len(schedule['allocations']) == 4
    response = post(api, fleet.ask, {'spread': {
        'key': 'availability_zone',
        'when_unsatisfiable': 'schedule_anyway'}}, dry_run=True)
    assert all('TopologySpreadWeigher' in c['weights']
               for c in response.json()['candidates'])


# -- a group's policy is fixed by its first live schedule -------------------

@pytest.mark.parametrize('later', [
    {'group_policy': 'affinity'},
    {'group_policy': 'anti-affinity', 'group_topology_key': 'host'},
    {'group_policy': 'anti-affinity',
     'group_topology_key': 'availability_zone', 'max_per_domain': 2},
    {},
])
def test_a_group_keeps_the_policy_of_its_first_live_schedule(
        api, fleet, unique, later):
    fleet({'a': 2, 'b': 2})
    group = unique('g')
    first = placed(api, fleet.ask, anti(group))
    error = assert_error(post(api, fleet.ask, dict(later, group=group)),
                         409, 'sora.conflict')
    assert group in error['detail']
    # Once no live schedule is left, the group takes the new policy.
    assert api.request('DELETE', '/v1/schedules/%s' % first['id'],
                       as_='member').status_code == 204
    placed(api, fleet.ask, dict(later, group=group))


def test_the_same_policy_spelled_with_its_defaults_is_no_conflict(
        api, fleet, unique):
    fleet({'a': 3})
    group = unique('g')
    placed(api, fleet.ask, {'group': group, 'group_policy': 'anti-affinity'})
    placed(api, fleet.ask, {'group': group, 'group_policy': 'anti-affinity',
                            'group_topology_key': 'host',
                            'max_per_domain': 1})


# -- bad input ---------------------------------------------------------------

@pytest.mark.parametrize('hints, field', [
    ({'group': 'g', 'group_policy': 'anti-affinity',
      'group_topology_key': 'rack'}, 'hints/group_topology_key'),
    ({'group': 'g', 'group_policy': 'anti-affinity',
      'group_topology_key': 'metadata.'}, 'hints/group_topology_key'),
    ({'group': 'g', 'group_policy': 'anti-affinity',
      'group_topology_key': 'host\n'}, 'hints/group_topology_key'),
    ({'group': 'g', 'group_policy': 'anti-affinity',
      'group_topology_key': 'Availability_Zone'},
     'hints/group_topology_key'),
    ({'group': 'g', 'group_topology_key': 'host'}, 'hints'),
    ({'group': 'g', 'group_policy': 'affinity', 'max_per_domain': 2},
     'hints.max_per_domain'),
    ({'group': 'g', 'group_policy': 'soft-anti-affinity',
      'max_per_domain': 2}, 'hints.max_per_domain'),
    ({'max_per_domain': 2}, 'hints'),
    ({'group': 'g', 'group_policy': 'anti-affinity', 'max_per_domain': 0},
     'hints/max_per_domain'),
    ({'group': 'g', 'group_policy': 'anti-affinity',
      'max_per_domain': '2'}, 'hints/max_per_domain'),
    ({'spread': {'key': 'availability_zone', 'max_skew': 0}},
     'hints/spread/max_skew'),
    ({'spread': {'key': 'availability_zone', 'max_skew': 1.5}},
     'hints/spread/max_skew'),
    ({'spread': {'key': 'availability_zone',
                 'when_unsatisfiable': 'sometimes'}},
     'hints/spread/when_unsatisfiable'),
    ({'spread': {'key': 'zone'}}, 'hints/spread/key'),
    ({'spread': {'max_skew': 1}}, 'hints/spread'),
    ({'spread': {'key': 'host', 'labels': {}}}, 'hints/spread'),
    ({'spread': 'availability_zone'}, 'hints/spread'),
])
def test_bad_policy_hints_are_a_400_naming_the_field(api, fleet, hints,
                                                     field):
    fleet({'a': 1})
    error = assert_error(post(api, fleet.ask, hints), 400,
                         'sora.invalid_request')
    assert 'Invalid input for field %s' % field in error['detail']
