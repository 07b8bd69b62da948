"""IoOpsWeigher: the default negative multiplier prefers idle hosts."""

from sora_api.scheduler import weighers
from sora_api.scheduler.weighers import io_ops


def test_default_prefers_the_idle_host(conf, make_host, make_spec):
    busy, idle = make_host('busy', io_ops=6), make_host('idle', io_ops=0)
    weigher = io_ops.IoOpsWeigher(conf)
    assert weigher.weight_multiplier() == -1.0
    weighed = weighers.weigh_hosts([weigher], [busy, idle], make_spec())
    assert [w.host.name for w in weighed] == ['idle', 'busy']
    assert weighed[1].weights == {'IoOpsWeigher': -1.0}


def test_positive_multiplier_prefers_the_busy_host(conf, make_host,
                                                   make_spec):
    conf.set_override('io_ops_weight_multiplier', 1.0,
                      group='filter_scheduler')
    busy, idle = make_host('busy', io_ops=6), make_host('idle', io_ops=0)
    weighed = weighers.weigh_hosts([io_ops.IoOpsWeigher(conf)], [idle, busy],
                                   make_spec())
    assert [w.host.name for w in weighed] == ['busy', 'idle']
