"""filter_hosts: filters run in order and leave a funnel behind."""

from sora_api.scheduler import filters
from sora_api.scheduler.filters import compute
from sora_api.scheduler.filters import resources


def test_funnel_records_every_filter_that_ran(conf, make_host, make_spec):
    hosts = [make_host(memory_mb=1024), make_host(memory_mb=4096),
             make_host(memory_mb=4096, enabled=False)]
    chain = [compute.ComputeFilter(conf), resources.RamFilter(conf)]
    survivors, funnel = filters.filter_hosts(
        chain, hosts, make_spec(memory_mb=2048))
    assert survivors == [hosts[1]]
    assert funnel == [
        {'filter': 'ComputeFilter', 'hosts_in': 3, 'hosts_out': 2},
        {'filter': 'RamFilter', 'hosts_in': 2, 'hosts_out': 1}]


def test_filtering_stops_at_the_filter_that_empties(conf, make_host,
                                                     make_spec):
    chain = [resources.RamFilter(conf), compute.ComputeFilter(conf)]
    survivors, funnel = filters.filter_hosts(
        chain, [make_host(memory_mb=1)], make_spec(memory_mb=2))
    assert survivors == []
    assert funnel == [{'filter': 'RamFilter', 'hosts_in': 1, 'hosts_out': 0}]


def test_no_filters_passes_every_host(make_host, make_spec):
    hosts = [make_host(), make_host()]
    assert filters.filter_hosts([], hosts, make_spec()) == (hosts, [])


def test_no_hosts_records_the_first_filter(conf, make_spec):
    survivors, funnel = filters.filter_hosts(
        [compute.ComputeFilter(conf)], [], make_spec())
    assert survivors == []
    assert funnel == [{'filter': 'ComputeFilter', 'hosts_in': 0,
                       'hosts_out': 0}]


def test_a_filter_without_its_hint_passes_hosts_unlooked(conf, make_host,
                                                         make_spec):
    class Refuses(filters.BaseHostFilter):
        def applies(self, spec):
            return False

        def host_passes(self, host_state, spec):
            raise AssertionError('a filter that does not apply looked')

    hosts = [make_host(), make_host()]
    assert filters.filter_hosts([Refuses(conf)], hosts, make_spec()) == (
        hosts, [{'filter': 'Refuses', 'hosts_in': 2, 'hosts_out': 2}])
