"""PreferenceWeigher: the sum of the weights of the preferences matched."""

import numpy as np

from sora_api.scheduler import host_table
from sora_api.scheduler import weighers
from sora_api.scheduler.weighers import preference
from sora_api.scheduler.weighers import resources

GOLD = ['=', '$metadata.tier', 'gold']
BIG = ['>=', '$free_ram_mb', 8192]


def test_raw_value_sums_the_weights_of_matched_preferences(
        conf, make_host, make_spec, raw):
    w = preference.PreferenceWeigher(conf)
    hosts = [make_host('gold', metadata={'tier': 'gold'}),
             make_host('big', memory_mb=16384),
             make_host('both', metadata={'tier': 'gold'}, memory_mb=16384),
             make_host('none')]
    spec = make_spec(preferences=[{'weight': 50, 'query': GOLD},
                                  {'weight': -20, 'query': BIG}])
    assert raw(w, hosts, spec) == [50, -20, 30, 0]


def test_it_applies_only_to_requests_with_preferences(conf, make_spec):
    w = preference.PreferenceWeigher(conf)
    assert not w.applies(make_spec())
    assert w.applies(make_spec(preferences=[{'weight': 1, 'query': GOLD}]))


def test_queries_are_compiled_once_when_the_request_is_built(
        conf, make_host, make_spec):
    spec = make_spec(preferences=[{'weight': 10, 'query': BIG}])
    [compiled] = spec.preferences
    table = host_table.as_table([make_host(memory_mb=16384), make_host()])
    assert compiled.matches(table).tolist() == [True, False]
    # The spec keeps the compiled query; weighing again reuses it.
    w = preference.PreferenceWeigher(conf)
    w.weigh_rows(table, np.arange(2), spec)
    assert spec.preferences[0] is compiled


def test_weigh_rows_answers_for_the_rows_asked(conf, make_host, make_spec):
    w = preference.PreferenceWeigher(conf)
    table = host_table.as_table([make_host('a'), make_host(
        'b', metadata={'tier': 'gold'}), make_host('c')])
    spec = make_spec(preferences=[{'weight': 7, 'query': GOLD}])
    assert w.weigh_rows(table, np.array([1, 2]), spec).tolist() == [7, 0]


def test_a_weight_100_preference_outweighs_a_built_in_weigher(
        conf, make_host, make_spec):
    chain = [resources.RAMWeigher(conf), preference.PreferenceWeigher(conf)]
    chain[0].name, chain[1].name = 'RAMWeigher', 'PreferenceWeigher'
    hosts = [make_host('big', memory_mb=65536),
             make_host('gold', memory_mb=1024, metadata={'tier': 'gold'})]
    spec = make_spec(preferences=[{'weight': 100, 'query': GOLD}])
    weighed = weighers.weigh_hosts(chain, hosts, spec)
    assert [w.host.name for w in weighed] == ['gold', 'big']
    assert weighed[0].weights == {'RAMWeigher': 0.0,
                                  'PreferenceWeigher': 2.0}


def test_a_negative_preference_pushes_away(conf, make_host, make_spec):
    chain = [preference.PreferenceWeigher(conf)]
    hosts = [make_host('gold', metadata={'tier': 'gold'}), make_host('x')]
    spec = make_spec(preferences=[{'weight': -100, 'query': GOLD}])
    weighed = weighers.weigh_hosts(chain, hosts, spec)
    assert [w.host.name for w in weighed] == ['x', 'gold']
