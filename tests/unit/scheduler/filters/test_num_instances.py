"""NumInstancesFilter: a host carries fewer than max_instances_per_host."""

from sora_api.scheduler.filters import num_instances


def test_host_at_the_limit_is_full(conf, make_host, make_spec, keeps):
    conf.set_override('max_instances_per_host', 3, group='filter_scheduler')
    f = num_instances.NumInstancesFilter(conf)
    assert keeps(f, make_host(instances=2), make_spec())
    assert not keeps(f, make_host(instances=3), make_spec())
    assert not keeps(f, make_host(instances=4), make_spec())


def test_default_limit_is_fifty(conf, make_host, make_spec, keeps):
    f = num_instances.NumInstancesFilter(conf)
    assert keeps(f, make_host(instances=49), make_spec())
    assert not keeps(f, make_host(instances=50), make_spec())
