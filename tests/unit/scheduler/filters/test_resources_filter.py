"""ResourcesFilter: every class asked fits, custom ones within max_unit."""

from sora_api.scheduler import filters
from sora_api.scheduler import host_table
from sora_api.scheduler.filters import resources

GPU = 'CUSTOM_GPU_A100'


def _gpus(total, used=0, max_unit=None, reserved=0, ratio=1.0):
    return {GPU: {'total': total, 'reserved': reserved,
                  'allocation_ratio': ratio,
                  'max_unit': total if max_unit is None else max_unit,
                  'used': used}}


def _passing(conf, hosts, spec):
    kept, _ = filters.filter_hosts([resources.ResourcesFilter(conf)], hosts,
                                   spec)
    return [h.name for h in kept]


def test_a_host_needs_the_free_amount_and_the_max_unit(conf, make_host,
                                                        make_spec):
    hosts = [make_host('none'),
             make_host('full', inventories=_gpus(4, used=4)),
             make_host('small-unit', inventories=_gpus(8, max_unit=1)),
             make_host('reserved', inventories=_gpus(4, reserved=3)),
             make_host('overcommit', inventories=_gpus(2, ratio=2.0)),
             make_host('roomy', inventories=_gpus(8, used=2))]
    spec = make_spec(custom_resources={GPU: 2})
    assert _passing(conf, hosts, spec) == ['overcommit', 'roomy']


def test_standard_classes_are_left_to_their_own_filters(conf, make_host,
                                                        make_spec):
    spec = make_spec(vcpus=64)
    host_filter = resources.ResourcesFilter(conf)
    assert not host_filter.applies(spec)
    assert host_filter.applies(make_spec(custom_resources={GPU: 1}))


def test_without_ram_filter_it_checks_ram_itself(conf, make_host,
                                                 make_spec):
    conf.set_override('enabled_filters', ['ResourcesFilter'],
                      group='filter_scheduler')
    hosts = [make_host('small', memory_mb=256), make_host('big')]
    spec = make_spec(memory_mb=1024)
    assert resources.ResourcesFilter(conf).applies(spec)
    assert _passing(conf, hosts, spec) == ['big']


def test_the_funnel_names_it_when_it_removes_the_last_host(conf, make_host,
                                                           make_spec):
    hosts = [make_host('a'), make_host('b', inventories=_gpus(1))]
    spec = make_spec(custom_resources={GPU: 2})
    table = host_table.HostTable.from_host_states(hosts)
    rows, funnel = filters.filter_table(
        [resources.RamFilter(conf), resources.ResourcesFilter(conf)],
        table, spec)
    assert rows.tolist() == []
    assert funnel[-1] == {'filter': 'ResourcesFilter', 'hosts_in': 2,
                          'hosts_out': 0}
