"""FilterScheduler: filter, weigh, pick; one instance at a time."""

import collections
import random

import pytest

from sora_api import exception
from sora_api.scheduler import host_table
from sora_api.scheduler.drivers import filter_scheduler

# Chi-square critical values at p = 0.001, by degrees of freedom.
CRITICAL_P001 = {2: 13.816, 3: 16.266}


@pytest.fixture
def scheduler(conf):
    def build(seed=1, **filter_scheduler_options):
        for name, value in filter_scheduler_options.items():
            conf.set_override(name, value, group='filter_scheduler')
        return filter_scheduler.FilterScheduler(conf, random.Random(seed))
    return build


def test_best_host_wins_by_default(scheduler, make_host, make_spec):
    hosts = [make_host('small', memory_mb=2048, vcpus=4, disk_gb=50),
             make_host('big', memory_mb=8192, vcpus=16, disk_gb=500),
             make_host('medium', memory_mb=4096, vcpus=8, disk_gb=100)]
    [chosen] = scheduler().select_destinations(make_spec(), hosts)
    assert chosen.name == 'big'


def test_later_instances_see_earlier_ones(scheduler, make_host, make_spec):
    a = make_host('a', memory_mb=4096)
    b = make_host('b', memory_mb=3072)
    spec = make_spec(memory_mb=2048, num_instances=3)
    chosen = scheduler(weighers=['RAMWeigher']).select_destinations(
        spec, [a, b])
    # a: 4096 free -> 2048; b: 3072 -> 1024; a: 2048 -> 0
    assert [h.name for h in chosen] == ['a', 'b', 'a']
    assert chosen[0] is chosen[2]
    assert chosen[0].memory_mb_used == 4096 and chosen[0].instances == 2
    assert chosen[0].io_ops == 2
    assert chosen[1].memory_mb_used == 2048


def test_the_input_host_states_are_not_mutated(scheduler, make_host,
                                               make_spec):
    hosts = [make_host('a'), make_host('b')]
    chosen = scheduler().select_destinations(
        make_spec(num_instances=4), hosts)
    assert all(h.memory_mb_used == 0 and h.instances == 0 for h in hosts)
    assert not any(c is h for c in chosen for h in hosts)


def test_group_hosts_grow_with_each_placement(scheduler, make_host,
                                              make_spec):
    spec = make_spec(group='web', group_policy='anti-affinity',
                     group_hosts={'id-old': 1}, num_instances=2)
    hosts = [make_host('a'), make_host('b'), make_host('old')]
    chosen = scheduler().select_destinations(spec, hosts)
    assert spec.group_hosts == {'id-old': 1, chosen[0].id: 1,
                                chosen[1].id: 1}


def test_anti_affinity_spreads_one_request_over_distinct_hosts(
        scheduler, make_host, make_spec):
    hosts = [make_host('a'), make_host('b'), make_host('c')]
    spec = make_spec(group='web', group_policy='anti-affinity',
                     num_instances=3)
    chosen = scheduler().select_destinations(spec, hosts)
    assert sorted(h.name for h in chosen) == ['a', 'b', 'c']


def test_anti_affinity_with_too_few_hosts_finds_no_valid_host(
        scheduler, make_host, make_spec):
    hosts = [make_host('a'), make_host('b')]
    spec = make_spec(group='web', group_policy='anti-affinity',
                     num_instances=3)
    with pytest.raises(exception.NoValidHost) as raised:
        scheduler().select_destinations(spec, hosts)
    assert raised.value.explanation[-1] == {
        'filter': 'ServerGroupAntiAffinityFilter', 'hosts_in': 2,
        'hosts_out': 0}
    assert 'Instance 3 of 3' in str(raised.value)


def test_affinity_keeps_one_request_together(scheduler, make_host,
                                             make_spec):
    hosts = [make_host('a'), make_host('b', memory_mb=8192), make_host('c')]
    spec = make_spec(group='db', group_policy='affinity', num_instances=3)
    chosen = scheduler().select_destinations(spec, hosts)
    assert [h.name for h in chosen] == ['b', 'b', 'b']


def test_soft_anti_affinity_spreads_when_it_can(scheduler, make_host,
                                                make_spec):
    hosts = [make_host('a'), make_host('b'), make_host('c')]
    spec = make_spec(group='web', group_policy='soft-anti-affinity',
                     num_instances=4)
    chosen = scheduler(
        weighers=['ServerGroupSoftAntiAffinityWeigher']).select_destinations(
        spec, hosts)
    assert sorted(h.name for h in chosen[:3]) == ['a', 'b', 'c']
    assert len(chosen) == 4


def test_negative_ram_multiplier_stacks(scheduler, make_host, make_spec):
    hosts = [make_host('roomy', memory_mb=8192),
             make_host('tight', memory_mb=2048, memory_mb_used=512)]
    spec = make_spec(memory_mb=512, num_instances=4)
    chosen = scheduler(weighers=['RAMWeigher'],
                       ram_weight_multiplier=-1.0).select_destinations(
        spec, hosts)
    # tight has room for 3 instances, then only roomy fits.
    assert [h.name for h in chosen] == ['tight', 'tight', 'tight', 'roomy']


def test_no_room_for_the_last_instance_explains_its_funnel(
        scheduler, make_host, make_spec):
    hosts = [make_host('a', memory_mb=3000), make_host('off', enabled=False)]
    spec = make_spec(memory_mb=2000, num_instances=2)
    with pytest.raises(exception.NoValidHost) as raised:
        scheduler(enabled_filters=['ComputeFilter', 'RamFilter',
                                   'CoreFilter']).select_destinations(
            spec, hosts)
    assert raised.value.explanation == [
        {'filter': 'ComputeFilter', 'hosts_in': 2, 'hosts_out': 1},
        {'filter': 'RamFilter', 'hosts_in': 1, 'hosts_out': 0}]
    assert 'Instance 2 of 2: filter RamFilter left no host' in str(
        raised.value)


def test_no_hosts_at_all_finds_no_valid_host(scheduler, make_spec):
    with pytest.raises(exception.NoValidHost) as raised:
        scheduler().select_destinations(make_spec(), [])
    assert raised.value.explanation[0] == {
        'filter': 'AvailabilityZoneFilter', 'hosts_in': 0, 'hosts_out': 0}


def test_no_filters_and_no_hosts_finds_no_valid_host(scheduler, make_spec):
    with pytest.raises(exception.NoValidHost) as raised:
        scheduler(enabled_filters=[]).select_destinations(make_spec(), [])
    assert raised.value.explanation == []
    assert 'there is no host' in str(raised.value)


def test_rank_returns_candidates_best_first_and_the_funnel(
        scheduler, make_host, make_spec):
    hosts = [make_host('small', memory_mb=1024),
             make_host('big', memory_mb=8192),
             make_host('off', up=False)]
    spec = make_spec(memory_mb=512, group='g', group_policy='anti-affinity',
                     num_instances=5)
    candidates, funnel = scheduler(weighers=['RAMWeigher', 'IoOpsWeigher']) \
        .rank(spec, hosts)
    assert [c.host.name for c in candidates] == ['big', 'small']
    assert candidates[0].weight == 1.0
    assert candidates[0].weights == {'RAMWeigher': 1.0, 'IoOpsWeigher': 0.0}
    compute = [step for step in funnel if step['filter'] == 'ComputeFilter']
    assert compute == [{'filter': 'ComputeFilter', 'hosts_in': 3,
                        'hosts_out': 2}]
    # every default filter, ResourcesFilter and TopologySpreadFilter too
    assert len(funnel) == 18
    # Nothing consumed, nothing recorded.
    assert spec.group_hosts == {}
    assert all(h.memory_mb_used == 0 for h in hosts)


def test_rank_with_no_survivor_returns_the_funnel(scheduler, make_host,
                                                  make_spec):
    candidates, funnel = scheduler().rank(
        make_spec(vcpus=100), [make_host()])
    assert candidates == []
    assert funnel[-1] == {'filter': 'CoreFilter', 'hosts_in': 1,
                          'hosts_out': 0}


def test_without_randomness_the_choice_is_repeatable(scheduler, make_host,
                                                     make_spec):
    hosts = [make_host(f'h{i}') for i in range(5)]  # all tied
    driver = scheduler()
    picks = {driver.select_destinations(make_spec(), hosts)[0].name
             for _ in range(50)}
    assert picks == {'h0'}


def test_host_subset_size_picks_uniformly_among_the_best_n(
        scheduler, make_host, make_spec, chi_square):
    hosts = [make_host(f'h{i}', memory_mb=1024 * (i + 1)) for i in range(6)]
    driver = scheduler(seed=20240601, host_subset_size=3,
                       weighers=['RAMWeigher'])
    draws = 3000
    counts = collections.Counter(
        driver.select_destinations(make_spec(), hosts)[0].name
        for _ in range(draws))
    assert set(counts) == {'h5', 'h4', 'h3'}
    assert chi_square([counts['h5'], counts['h4'], counts['h3']]) \
        < CRITICAL_P001[2]


def test_host_subset_size_beyond_the_candidates_uses_them_all(
        scheduler, make_host, make_spec):
    hosts = [make_host('a', memory_mb=1024), make_host('b')]
    driver = scheduler(seed=7, host_subset_size=10)
    picks = {driver.select_destinations(make_spec(), hosts)[0].name
             for _ in range(100)}
    assert picks == {'a', 'b'}


def test_shuffle_breaks_ties_uniformly_among_the_best(
        scheduler, make_host, make_spec, chi_square):
    tied = [make_host(f't{i}', memory_mb=8192) for i in range(4)]
    worse = [make_host('w0', memory_mb=1024), make_host('w1', memory_mb=2048)]
    driver = scheduler(seed=424242, shuffle_best_same_weighed_hosts=True,
                       weighers=['RAMWeigher'])
    draws = 4000
    counts = collections.Counter(
        driver.select_destinations(make_spec(), worse + tied)[0].name
        for _ in range(draws))
    assert set(counts) == {'t0', 't1', 't2', 't3'}
    assert chi_square([counts[h.name] for h in tied]) < CRITICAL_P001[3]


def test_the_same_seed_makes_the_same_choices(scheduler, make_host,
                                              make_spec):
    hosts = [make_host(f'h{i}') for i in range(10)]

    def run():
        driver = scheduler(seed=99, host_subset_size=10)
        return [driver.select_destinations(make_spec(), hosts)[0].name
                for _ in range(20)]
    assert run() == run()


@pytest.mark.parametrize('instances', [1, 3])
def test_placing_never_changes_the_table_it_was_given(
        scheduler, make_host, make_spec, instances):
    table = host_table.as_table([make_host('a', memory_mb=8192),
                                 make_host('b', memory_mb=8192)])
    usage = {c: getattr(table, c).copy() for c in host_table.USAGE_COLUMNS}
    chosen = scheduler().select_destinations(
        make_spec(memory_mb=1024, num_instances=instances), table)
    # What the request consumed shows on what it returns, not on the
    # table a worker shares between requests.
    assert sum(h.memory_mb_used for h in set(chosen)) == 1024 * instances
    for column, before in usage.items():
        assert getattr(table, column).tolist() == before.tolist(), column


_METRICS = {
    'RAMWeigher': ('ram_weight_multiplier', lambda h: h.free_ram_mb),
    'CPUWeigher': ('cpu_weight_multiplier', lambda h: h.free_vcpus),
    'DiskWeigher': ('disk_weight_multiplier', lambda h: h.free_disk_mb),
    'IoOpsWeigher': ('io_ops_weight_multiplier', lambda h: h.io_ops),
    'NumInstancesWeigher': ('num_instances_weight_multiplier',
                            lambda h: h.instances),
}


def _exhaustive_best(candidates, multipliers):
    """The contract's weighing, host by host in plain Python: each
    metric min-max normalised over the candidates, times its multiplier,
    summed; the best weight wins, ties to the earliest host."""
    totals = [0.0] * len(candidates)
    for name, multiplier in multipliers.items():
        if not multiplier:
            continue
        raw = [float(_METRICS[name][1](h)) for h in candidates]
        low, high = min(raw), max(raw)
        for i, value in enumerate(raw):
            part = 0.0 if low == high else (value - low) / (high - low)
            totals[i] += part * multiplier
    best = max(totals)
    return candidates[totals.index(best)]


@pytest.mark.parametrize('seed', range(12))
def test_the_chosen_host_is_the_exhaustive_best_on_random_fleets(
        conf, scheduler, make_host, make_spec, seed):
    rng = random.Random(seed)
    multipliers = {name: rng.choice([0.0, 1.0, -1.0, 2.5, -0.5])
                   for name in _METRICS}
    conf.set_override('weighers', list(multipliers),
                      group='filter_scheduler')
    for name, multiplier in multipliers.items():
        conf.set_override(_METRICS[name][0], multiplier,
                          group='filter_scheduler')
    hosts = [make_host(memory_mb=rng.choice([1024, 2048, 4096, 8192]),
                       vcpus=rng.choice([2, 4, 8]),
                       disk_gb=rng.choice([20, 100, 500]),
                       memory_mb_used=rng.choice([0, 512, 1024]),
                       vcpus_used=rng.randint(0, 3),
                       io_ops=rng.randint(0, 5),
                       instances=rng.randint(0, 20),
                       enabled=rng.random() > 0.1)
             for _ in range(rng.choice([1, 5, 300]))]
    spec = make_spec(memory_mb=rng.choice([512, 2048]))
    candidates = [h for h in hosts if h.enabled and h.up
                  and h.free_ram_mb >= spec.memory_mb
                  and h.free_vcpus >= spec.vcpus
                  and h.free_disk_gb >= spec.disk_gb and h.io_ops < 8
                  and h.instances < 50]
    if not candidates:
        with pytest.raises(exception.NoValidHost):
            scheduler(seed).select_destinations(spec, hosts)
        return
    [chosen] = scheduler(seed).select_destinations(spec, hosts)
    assert chosen.id == _exhaustive_best(candidates, multipliers).id


def test_weights_kept_between_passes_see_a_table_changed_in_place(
        scheduler, make_host, make_spec):
    # Every host a candidate: a weigher reads the table's column itself,
    # which a catch-up (and a view's consume) changes in place.
    table = host_table.as_table([make_host('a', memory_mb=8192),
                                 make_host('b', memory_mb=2048),
                                 make_host('c', memory_mb=4096)])
    driver = scheduler()

    def weights(ranked):
        return {h.host.name: h.weight for h in ranked}

    spec = make_spec(memory_mb=0, vcpus=0, disk_gb=0)
    driver.rank(spec, table)
    # A claim on ``c``, seen by the worker's table: same bounds.
    row = host_table._state_values(make_host('c', memory_mb=4096,
                                             memory_mb_used=1024))
    table.update([row])
    again, _ = driver.rank(spec, table)
    fresh, _ = scheduler().rank(spec, table)
    assert weights(again) == weights(fresh)
    # Within one request too: each instance sees the ones before it.
    spread = [driver.select_destinations(
        make_spec(memory_mb=1024, num_instances=4), table)]
    anew = [scheduler().select_destinations(
        make_spec(memory_mb=1024, num_instances=4), table)]
    assert ([h.name for h in spread[0]] == [h.name for h in anew[0]])
