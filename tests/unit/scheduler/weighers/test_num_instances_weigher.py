"""NumInstancesWeigher: off by default; the multiplier's sign decides."""

from sora_api.scheduler import weighers
from sora_api.scheduler.weighers import num_instances


def test_default_multiplier_ignores_instances(conf, make_host, make_spec):
    hosts = [make_host('a', instances=9), make_host('b', instances=0)]
    weigher = num_instances.NumInstancesWeigher(conf)
    weighed = weighers.weigh_hosts([weigher], hosts, make_spec())
    assert [w.weight for w in weighed] == [0.0, 0.0]
    assert [w.host.name for w in weighed] == ['a', 'b']


def test_negative_multiplier_prefers_fewer_instances(conf, make_host,
                                                     make_spec):
    conf.set_override('num_instances_weight_multiplier', -1.0,
                      group='filter_scheduler')
    hosts = [make_host('a', instances=9), make_host('b', instances=0),
             make_host('c', instances=3)]
    weighed = weighers.weigh_hosts(
        [num_instances.NumInstancesWeigher(conf)], hosts, make_spec())
    assert [w.host.name for w in weighed] == ['b', 'c', 'a']


def test_positive_multiplier_prefers_more_instances(conf, make_host,
                                                    make_spec):
    conf.set_override('num_instances_weight_multiplier', 1.0,
                      group='filter_scheduler')
    hosts = [make_host('a', instances=0), make_host('b', instances=9)]
    weighed = weighers.weigh_hosts(
        [num_instances.NumInstancesWeigher(conf)], hosts, make_spec())
    assert [w.host.name for w in weighed] == ['b', 'a']
