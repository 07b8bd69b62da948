"""weigh_hosts: normalise, multiply, sum, sort best first."""

import gc
import random
import weakref

import numpy as np
import pytest

from sora_api.scheduler import host_table
from sora_api.scheduler import plugins
from sora_api.scheduler import weighers
from tests import docblocks


@pytest.fixture(autouse=True)
def keep_every_weighing(monkeypatch):
    """The tests of ``LastWeights`` use tables of a few hundred hosts:
    keep their weighings however few the candidates (``KEPT_FROM``)."""
    monkeypatch.setattr(weighers, 'KEPT_FROM', 0)


def test_fewer_candidates_than_kept_from_are_weighed_afresh(
        conf, make_host, make_spec, monkeypatch):
    """Below ``KEPT_FROM`` candidates nothing is kept, and the weights are
    those of a kept weighing, bit for bit."""
    rng = random.Random(3)
    table = host_table.as_table([
        make_host(memory_mb=rng.choice([2048, 4096]), vcpus=rng.choice([4, 8]),
                  io_ops=rng.randint(0, 3)) for _ in range(300)])
    chain = plugins.load_weighers(conf)
    rows = np.arange(len(table))
    kept = weighers.LastWeights()
    for step in range(20):
        table.consume(rng.randrange(len(table)), make_spec(memory_mb=512))
        expected = weighers.weigh_rows(chain, table, rows, make_spec(), kept)
        monkeypatch.setattr(weighers, 'KEPT_FROM', len(table) + 1)
        afresh = weighers.LastWeights()
        got = weighers.weigh_rows(chain, table, rows, make_spec(), afresh)
        monkeypatch.setattr(weighers, 'KEPT_FROM', 0)
        assert afresh._kept == []
        assert got[0].tobytes() == expected[0].tobytes(), step
        assert {k: v.tobytes() for k, v in got[1].items()} == {
            k: v.tobytes() for k, v in expected[1].items()}
    assert len(kept._kept) == 1


class RawWeigher(weighers.BaseHostWeigher):
    """Weighs a host by a number looked up by its name."""

    def __init__(self, conf, values, multiplier=1.0, name='Raw'):
        super().__init__(conf)
        self.values = values
        self.multiplier = multiplier
        self.name = name

    def weight_multiplier(self):
        return self.multiplier

    def _weigh_object(self, host_state, spec):
        return self.values[host_state.name]


def test_normalize_maps_min_to_zero_and_max_to_one():
    assert weighers.normalize([10, 20, 15]).tolist() == [0.0, 1.0, 0.5]
    assert weighers.normalize([-4, 0]).tolist() == [0.0, 1.0]


def test_normalize_all_equal_is_all_zero():
    assert weighers.normalize([7, 7, 7]).tolist() == [0.0, 0.0, 0.0]
    assert weighers.normalize([5]).tolist() == [0.0]


def test_normalize_nothing_is_nothing():
    assert weighers.normalize([]).tolist() == []


def test_weights_are_summed_and_sorted_best_first(conf, make_host,
                                                  make_spec):
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    chain = [RawWeigher(conf, {'a': 0, 'b': 10, 'c': 5}, 1.0, 'One'),
             RawWeigher(conf, {'a': 100, 'b': 0, 'c': 0}, 2.0, 'Two')]
    weighed = weighers.weigh_hosts(chain, [a, b, c], make_spec())
    assert [w.host for w in weighed] == [a, b, c]
    assert [w.weight for w in weighed] == [2.0, 1.0, 0.5]
    assert weighed[0].weights == {'One': 0.0, 'Two': 2.0}
    assert weighed[2].weights == {'One': 0.5, 'Two': 0.0}


def test_negative_multiplier_reverses_the_order(conf, make_host, make_spec):
    a, b = make_host('a'), make_host('b')
    chain = [RawWeigher(conf, {'a': 1, 'b': 2}, -1.0)]
    weighed = weighers.weigh_hosts(chain, [a, b], make_spec())
    assert [w.host for w in weighed] == [a, b]
    assert [w.weight for w in weighed] == [0.0, -1.0]
    # -0.0 would show as "-0.0" in the API's JSON.
    assert str(weighed[0].weights['Raw']) == '0.0'


def test_all_equal_raw_values_weigh_zero_and_keep_input_order(
        conf, make_host, make_spec):
    hosts = [make_host() for _ in range(4)]
    chain = [RawWeigher(conf, {h.name: 3 for h in hosts}, 5.0)]
    weighed = weighers.weigh_hosts(chain, hosts, make_spec())
    assert [w.host for w in weighed] == hosts
    assert {w.weight for w in weighed} == {0.0}


def test_zero_multiplier_contributes_nothing(conf, make_host, make_spec):
    a, b = make_host('a'), make_host('b')
    chain = [RawWeigher(conf, {'a': 1, 'b': 2}, 0.0)]
    weighed = weighers.weigh_hosts(chain, [a, b], make_spec())
    assert [w.weights for w in weighed] == [{'Raw': 0.0}, {'Raw': 0.0}]


def test_no_weighers_weigh_every_host_zero(make_host, make_spec):
    hosts = [make_host(), make_host()]
    weighed = weighers.weigh_hosts([], hosts, make_spec())
    assert [(w.host, w.weight, w.weights) for w in weighed] == [
        (hosts[0], 0.0, {}), (hosts[1], 0.0, {})]


def test_no_hosts_is_no_candidates(conf, make_spec):
    assert weighers.weigh_hosts([RawWeigher(conf, {})], [], make_spec()) == []


def test_base_weigher_needs_a_metric(conf, make_host, make_spec):
    with pytest.raises(NotImplementedError):
        weighers.weigh_hosts([weighers.BaseHostWeigher(conf)], [make_host()],
                             make_spec())


def test_the_first_few_of_a_ranking_are_those_of_the_full_ranking():
    rng = np.random.default_rng(16)
    for _ in range(50):
        weights = rng.choice([0.0, 0.25, 0.5, 1.0], size=rng.integers(1, 60))
        for limit in (1, 3, 10, 100):
            assert (weighers.ranking(weights, limit).tolist()
                    == weighers.ranking(weights)[:limit].tolist())


def test_patched_weights_are_those_of_a_full_pass(conf, make_host,
                                                  make_spec):
    conf.set_override('io_ops_weight_multiplier', -1.5,
                      group='filter_scheduler')
    rng = random.Random(16)
    hosts = [make_host(memory_mb=rng.choice([2048, 4096]),
                       vcpus=rng.choice([4, 8]), io_ops=rng.randint(0, 3))
             for _ in range(200)]
    table = host_table.as_table(hosts)
    chain = plugins.load_weighers(conf)
    last = weighers.LastWeights()
    rows = np.arange(len(hosts))
    for _ in range(60):
        for i in rng.sample(range(len(hosts)), rng.choice([0, 1, 3])):
            table.consume(i, make_spec(memory_mb=rng.choice([0, 512]),
                                       vcpus=rng.choice([0, 1])))
        if rng.random() < 0.2:
            rows = np.sort(rng.sample(range(len(hosts)), 150))
        view = table.with_own_usage()
        patched = weighers.weigh_rows(chain, view, rows, make_spec(), last)
        full = weighers.weigh_rows(chain, view, rows, make_spec())
        assert patched[0].tobytes() == full[0].tobytes()
        assert {k: v.tobytes() for k, v in patched[1].items()} == {
            k: v.tobytes() for k, v in full[1].items()}


def test_kinds_of_request_taking_turns_each_keep_their_weighing(
        conf, make_host, make_spec, monkeypatch):
    """Plain requests and GPU ones, taking turns over other candidates,
    are each patched to a full pass's weights; past as many kinds as are
    kept, a new one takes the arrays of the kind used longest ago."""
    conf.set_override('resource_class_weight_multipliers',
                      {'CUSTOM_GPU': 1.0}, group='filter_scheduler')
    rng = random.Random(5)
    table = host_table.as_table([
        make_host(memory_mb=rng.choice([2048, 4096]),
                  inventories=({'CUSTOM_GPU': {
                      'total': rng.randint(1, 4), 'reserved': 0, 'used': 0,
                      'allocation_ratio': 1.0, 'max_unit': 4}}
                               if i % 4 == 0 else {}))
        for i in range(120)])
    chain = plugins.load_weighers(conf)
    last = weighers.LastWeights()
    everyone = np.arange(len(table))
    gpu_hosts = np.arange(0, len(table), 4)
    kinds = [(make_spec(), everyone),
             (make_spec(custom_resources={'CUSTOM_GPU': 1}), gpu_hosts)]
    fulls = []
    original = weighers.LastWeights._full

    def full(self, *args):
        if self is last:
            fulls.append(args[1] is gpu_hosts)
        return original(self, *args)

    monkeypatch.setattr(weighers.LastWeights, '_full', full)
    for step in range(40):
        table.consume(rng.randrange(len(table)), make_spec())
        spec, rows = kinds[step % 2]
        view = table.with_own_usage()
        patched = weighers.weigh_rows(chain, view, rows, spec, last)
        assert len(fulls) == min(step + 1, 2), step
        whole = weighers.weigh_rows(chain, view, rows, spec)
        assert patched[0].tobytes() == whole[0].tobytes(), step
    assert len(last._kept) == 2
    # More kinds (other candidates) than are kept: the newest takes the
    # arrays of the one used longest ago.
    oldest = last._kept[0]['buffers']
    for count in range(10, 10 + weighers._KEPT_WEIGHINGS - 1):
        weighers.weigh_rows(chain, table, everyone[:count], make_spec(),
                            last)
    assert len(last._kept) == weighers._KEPT_WEIGHINGS
    assert last._kept[-1]['buffers'] is oldest


def test_weights_patched_from_the_tables_changes_are_those_of_a_full_pass(
        conf, make_host, make_spec):
    # A worker's table as the host cache keeps it: claims and capacity
    # changes applied in place (known rows), hosts added and removed, and
    # each request weighing every row of its own view, some of them
    # consuming several instances on it.
    conf.set_override('io_ops_weight_multiplier', -1.5,
                      group='filter_scheduler')
    rng = random.Random(11)

    def host(name):
        return make_host(name, memory_mb=rng.choice([2048, 4096]),
                         vcpus=rng.choice([4, 8]), io_ops=rng.randint(0, 3))

    table = host_table.as_table([host('h%d' % i) for i in range(120)])
    chain = plugins.load_weighers(conf)
    last = weighers.LastWeights()
    added = 120
    for step in range(150):
        rows = []
        for i in rng.sample(range(len(table)), rng.choice([0, 1, 2, 5])):
            row = host_table._state_values(table.host_state(i))
            del row['traits'], row['metadata']
            row['memory_mb_used'] += rng.choice([0, 512, -512])
            row['io_ops'] = rng.randint(0, 4)
            if rng.random() < 0.1:
                row['memory_mb'] = rng.choice([2048, 4096, 8192])
            rows.append(row)
        table.update(rows)
        if rng.random() < 0.05:
            table.update([host_table._state_values(host('h%d' % added))])
            added += 1
        if rng.random() < 0.05:
            table.remove([table.ids[rng.randrange(len(table))]])
        view = table.with_own_usage()
        for _ in range(rng.choice([1, 1, 3])):
            everything = np.arange(len(view))
            patched = weighers.weigh_rows(chain, view, everything,
                                          make_spec(), last)
            full = weighers.weigh_rows(chain, view, everything, make_spec())
            assert patched[0].tobytes() == full[0].tobytes(), step
            assert {k: v.tobytes() for k, v in patched[1].items()} == {
                k: v.tobytes() for k, v in full[1].items()}
            view.consume(int(np.argmax(full[0])),
                         make_spec(memory_mb=512, vcpus=1))


def test_a_change_log_names_the_rows_changed_since_a_number():
    log = host_table.ChangeLog()
    assert log.since(0).tolist() == []
    log.record([5, 2])
    log.record([])
    log.record([2, 9])
    assert log.number == 2
    assert log.since(0).tolist() == [2, 5, 9]
    assert log.since(1).tolist() == [2, 9]
    assert log.since(2).tolist() == []
    for _ in range(host_table.ChangeLog.KEEP):
        log.record([1])
    assert log.since(0) is None


def test_weights_stay_those_of_a_full_pass_as_the_last_host_leaves_a_bound(
        conf, make_host, make_spec):
    # Equal hosts claimed on one at a time, the best first (as the
    # scheduler does): every claim takes a host off the highest free RAM
    # and vCPUs, the last one moves those bounds; a released claim brings
    # a host back to them.
    conf.set_override('io_ops_weight_multiplier', -1.0,
                      group='filter_scheduler')
    table = host_table.as_table([make_host('h%02d' % i, memory_mb=4096,
                                           vcpus=8) for i in range(12)])
    chain = plugins.load_weighers(conf)
    last = weighers.LastWeights()
    rng = random.Random(4)
    for step in range(80):
        view = table.with_own_usage()
        everything = np.arange(len(view))
        patched = weighers.weigh_rows(chain, view, everything, make_spec(),
                                      last)
        full = weighers.weigh_rows(chain, view, everything, make_spec())
        assert patched[0].tobytes() == full[0].tobytes(), step
        assert {k: v.tobytes() for k, v in patched[1].items()} == {
            k: v.tobytes() for k, v in full[1].items()}, step
        claimed = [i for i in range(len(view)) if view.memory_mb_used[i]]
        release = claimed and rng.random() < 0.2
        i = rng.choice(claimed) if release else int(np.argmax(full[0]))
        row = host_table._state_values(view.host_state(i))
        del row['traits'], row['metadata']
        if release:
            row.update(memory_mb_used=row['memory_mb_used'] - 512,
                       vcpus_used=row['vcpus_used'] - 1,
                       io_ops=row['io_ops'] - 1)
        else:
            row.update(memory_mb_used=row['memory_mb_used'] + 512,
                       vcpus_used=row['vcpus_used'] + 1,
                       io_ops=row['io_ops'] + 1)
        table.update([row])


class BoundedWeigher(RawWeigher):
    """A RawWeigher that declares the bounds of its normalisation."""

    def __init__(self, conf, values, multiplier=1.0, name='Bounded',
                 minval=None, maxval=None):
        super().__init__(conf, values, multiplier, name)
        self.minval = minval
        self.maxval = maxval


def test_normalize_uses_the_bounds_given():
    assert weighers.normalize([40, 50], 0, 100).tolist() == [0.4, 0.5]
    assert weighers.normalize([5, 10], minval=0).tolist() == [0.5, 1.0]
    assert weighers.normalize([5, 10], maxval=20).tolist() == [0.0, 1 / 3]
    # Not clipped; equal bounds give zeros whatever the values.
    assert weighers.normalize([-1, 3], 0, 1).tolist() == [-1.0, 3.0]
    assert weighers.normalize([1, 2], 4, 4).tolist() == [0.0, 0.0]


def test_final_values_reach_the_total_and_the_shares_as_they_are(
        conf, make_host, make_spec):
    # Values outside [0, 1], negative, and a weigher whose candidates all
    # have one value: min-max normalising would make those 0.
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    chain = [BoundedWeigher(conf, {'a': -1.25, 'b': 2.5, 'c': 0.0},
                            name='Final', minval=0.0, maxval=1.0),
             BoundedWeigher(conf, {'a': -0.5, 'b': -0.5, 'c': -0.5},
                            name='Flat', minval=0.0, maxval=1.0),
             RawWeigher(conf, {'a': 0, 'b': 0, 'c': 4}, 2.0, 'Raw')]
    weighed = weighers.weigh_hosts(chain, [a, b, c], make_spec())
    assert [w.host for w in weighed] == [b, c, a]
    assert [w.weights for w in weighed] == [
        {'Final': 2.5, 'Flat': -0.5, 'Raw': 0.0},
        {'Final': 0.0, 'Flat': -0.5, 'Raw': 2.0},
        {'Final': -1.25, 'Flat': -0.5, 'Raw': 0.0}]
    assert [w.weight for w in weighed] == [2.0, 1.5, -1.75]


def test_declared_bounds_scale_as_nova_s_minval_and_maxval(
        conf, make_host, make_spec):
    # A percentage: 40 and 50 stay 0.4 and 0.5 of the multiplier instead
    # of being stretched to 0 and 1; one bound declared, the other the
    # candidates' own.
    a, b = make_host('a'), make_host('b')
    chain = [BoundedWeigher(conf, {'a': 40, 'b': 50}, 2.0, 'Percent',
                            minval=0, maxval=100),
             BoundedWeigher(conf, {'a': 5, 'b': 10}, 1.0, 'FromZero',
                            minval=0)]
    weighed = weighers.weigh_hosts(chain, [a, b], make_spec())
    assert [w.weights for w in weighed] == [
        {'Percent': 1.0, 'FromZero': 1.0}, {'Percent': 0.8, 'FromZero': 0.5}]


class _FinalFreeRam(weighers.BaseHostWeigher):
    """Free RAM in GiB minus 2.5: final values, some outside [0, 1]."""

    minval = 0.0
    maxval = 1.0

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.free('memory_mb'), rows) / 1024.0 - 2.5


class _FreeVcpusFromZero(weighers.BaseHostWeigher):
    """Free vCPUs normalised between 0 and the candidates' most."""

    minval = 0

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.free('vcpus'), rows)


def test_patched_weights_with_declared_bounds_are_those_of_a_full_pass(
        conf, make_host, make_spec):
    rng = random.Random(9)
    hosts = [make_host(memory_mb=rng.choice([2048, 4096]),
                       vcpus=rng.choice([4, 8])) for _ in range(200)]
    table = host_table.as_table(hosts)
    chain = plugins.load_weighers(conf) + [_FinalFreeRam(conf),
                                           _FreeVcpusFromZero(conf)]
    last = weighers.LastWeights()
    rows = np.arange(len(hosts))
    for step in range(80):
        for i in rng.sample(range(len(hosts)), rng.choice([0, 1, 3])):
            table.consume(i, make_spec(memory_mb=rng.choice([0, 512, 1024]),
                                       vcpus=rng.choice([0, 1, 2])))
        if rng.random() < 0.2:
            rows = np.sort(rng.sample(range(len(hosts)), 150))
        view = table.with_own_usage()
        patched = weighers.weigh_rows(chain, view, rows, make_spec(), last)
        full = weighers.weigh_rows(chain, view, rows, make_spec())
        assert patched[0].tobytes() == full[0].tobytes(), step
        assert {k: v.tobytes() for k, v in patched[1].items()} == {
            k: v.tobytes() for k, v in full[1].items()}, step
    # The final weigher's shares are its values, negative ones included.
    values = table.free('memory_mb')[rows] / 1024.0 - 2.5
    assert full[1]['_FinalFreeRam'].tolist() == (values + 0.0).tolist()
    assert values.min() < 0.0 < 1.0 < values.max()


def test_the_documented_final_weigher_shows_its_sum_as_it_is(
        conf, make_host, make_spec):
    namespace = {}
    exec(docblocks.block('plugin-weigher')
         + docblocks.block('plugin-final-weigher'), namespace)
    weigher = namespace['RackBudgetWeigher'](conf)
    hosts = [make_host('a', metadata={'spare_watts': '100',
                                      'spare_btu': '30'}),
             make_host('b', metadata={'spare_watts': '300',
                                      'spare_btu': '10'}),
             make_host('c', metadata={'spare_watts': '200',
                                      'spare_btu': '20'})]
    weighed = weighers.weigh_hosts([weigher], hosts, make_spec())
    # 2.0 x watts (0, 1, 0.5) + 0.5 x cooling (1, 0, 0.5), not rescaled
    # to [0, 1].
    assert [(w.host.name, w.weights['RackBudgetWeigher'], w.weight)
            for w in weighed] == [('b', 2.0, 2.0), ('c', 1.25, 1.25),
                                  ('a', 0.5, 0.5)]


def test_the_last_weighing_keeps_its_own_arrays_only(conf, make_host,
                                                     make_spec):
    # What a driver keeps between requests: per weigher its raw values
    # and its share, and the total, reused; no array a weigher handed
    # back, nor a request's own columns, outlives the request.
    handed = []

    class Fresh(weighers.BaseHostWeigher):
        def weigh_rows(self, table, rows, spec):
            values = table.free('memory_mb')[rows] * 1.0
            handed.append(weakref.ref(values))
            return values

    conf.set_override('io_ops_weight_multiplier', -1.0,
                      group='filter_scheduler')
    table = host_table.as_table([make_host(memory_mb=1024 * (1 + i % 4))
                                 for i in range(64)])
    chain = plugins.load_weighers(conf) + [Fresh(conf)]
    last = weighers.LastWeights()
    rows = np.arange(len(table))
    for step in range(6):
        view = table.with_own_usage()
        weighers.weigh_rows(chain, view, rows, make_spec(), last)
        view.consume(step, make_spec())
        # The view's own usage and free RAM now: a column no other
        # request has.
        handed.append(weakref.ref(view.free('memory_mb')))
        weighers.weigh_rows(chain, view, rows, make_spec(), last)
        del view
    gc.collect()
    assert [ref for ref in handed if ref() is not None] == []
    active = [w for w in chain
              if w.weight_multiplier() and w.applies(make_spec())]
    [kept] = last._kept
    assert len(kept['buffers']) == 2 * len(active) + 1
    assert all(len(b) <= len(rows) + len(rows) // 16
               for b in kept['buffers'].values())


def test_a_ranked_rows_host_state_is_built_only_when_asked_for(make_host):
    table = host_table.as_table([make_host('a'), make_host('b')])
    rows = np.arange(2)
    ranked = weighers.weighed_hosts(table, rows, np.array([0.5, 1.0]),
                                    {'Raw': np.array([0.5, 1.0])}, [1, 0])
    assert [(w.host_name, w.weight, w.weights) for w in ranked] == [
        ('b', 1.0, {'Raw': 1.0}), ('a', 0.5, {'Raw': 0.5})]
    assert [w.host_id for w in ranked] == [table.ids[1], table.ids[0]]
    assert table._states == {}
    assert ranked[0].host is table.host_state(1)
    assert ranked[0].host.name == 'b'
