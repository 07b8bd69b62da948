"""IoOpsFilter: a host with max_io_ops_per_host or more io_ops is busy."""

from sora_api.scheduler.filters import io_ops


def test_host_at_the_limit_is_busy(conf, make_host, make_spec, keeps):
    conf.set_override('max_io_ops_per_host', 2, group='filter_scheduler')
    f = io_ops.IoOpsFilter(conf)
    assert keeps(f, make_host(io_ops=1), make_spec())
    assert not keeps(f, make_host(io_ops=2), make_spec())


def test_zero_limit_rejects_every_host(conf, make_host, make_spec, keeps):
    conf.set_override('max_io_ops_per_host', 0, group='filter_scheduler')
    f = io_ops.IoOpsFilter(conf)
    assert not keeps(f, make_host(io_ops=0), make_spec())
