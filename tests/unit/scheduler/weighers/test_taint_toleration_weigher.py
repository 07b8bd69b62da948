"""TaintTolerationWeigher: minus the untolerated PreferNoSchedule taints."""

from sora_api.scheduler import weighers
from sora_api.scheduler.weighers import resources
from sora_api.scheduler.weighers import taint_toleration


def _taint(key, effect='PreferNoSchedule'):
    return {'key': key, 'value': 'v', 'effect': effect}


def test_raw_value_is_minus_the_untolerated_soft_taints(conf, make_host,
                                                        make_spec, raw):
    w = taint_toleration.TaintTolerationWeigher(conf)
    hosts = [make_host('none'), make_host('one', taints=[_taint('a')]),
             make_host('two', taints=[_taint('a'), _taint('b')]),
             make_host('hard', taints=[_taint('c', 'NoSchedule')])]
    assert raw(w, hosts, make_spec()) == [0, -1, -2, 0]
    tolerant = make_spec(tolerations=[{'key': 'a', 'operator': 'Exists'}])
    assert raw(w, hosts, tolerant) == [0, 0, -1, 0]


def test_one_soft_taint_outweighs_a_built_in_weigher_at_its_default(
        conf, make_host, make_spec):
    # The tainted host has far more free RAM, yet ranks last.
    chain = [resources.RAMWeigher(conf),
             taint_toleration.TaintTolerationWeigher(conf)]
    chain[0].name, chain[1].name = 'RAMWeigher', 'TaintTolerationWeigher'
    hosts = [make_host('small', memory_mb=1024),
             make_host('big', memory_mb=65536, taints=[_taint('spot')])]
    weighed = weighers.weigh_hosts(chain, hosts, make_spec())
    assert [w.host.name for w in weighed] == ['small', 'big']
    assert weighed[0].weights == {'RAMWeigher': 0.0,
                                  'TaintTolerationWeigher': 2.0}
    tolerant = make_spec(tolerations=[{'key': 'spot', 'operator': 'Exists'}])
    weighed = weighers.weigh_hosts(chain, hosts, tolerant)
    assert [w.host.name for w in weighed] == ['big', 'small']


def test_multiplier_comes_from_its_option(conf):
    conf.set_override('taint_toleration_weight_multiplier', 0.5,
                      group='filter_scheduler')
    w = taint_toleration.TaintTolerationWeigher(conf)
    assert w.weight_multiplier() == 0.5
