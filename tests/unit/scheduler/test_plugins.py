"""Plugins load by name through stevedore and fail loudly."""

import random
import textwrap

import pytest
from stevedore import extension

from sora_api import exception
from sora_api.conf import filter_scheduler as filter_scheduler_conf
from sora_api.scheduler import filters
from sora_api.scheduler import plugins
from sora_api.scheduler import weighers
from sora_api.scheduler.drivers import chance
from sora_api.scheduler.drivers import filter_scheduler
from sora_api.scheduler.drivers import memory

THIRD_PARTY_MODULE = '''
from sora_api.scheduler import filters


class OnlyEvenFilter(filters.BaseHostFilter):
    def host_passes(self, host_state, spec):
        return host_state.vcpus % 2 == 0
'''

THIRD_PARTY_ENTRY_POINTS = '''
[sora.scheduler.filters]
OnlyEven = sora_thirdparty_plugin:OnlyEvenFilter
BrokenFilter = sora_thirdparty_missing_module:Nope

[sora.scheduler.drivers]
broken_driver = sora_thirdparty_missing_module:Nope
'''


@pytest.fixture
def third_party(tmp_path, monkeypatch):
    """Install, for this test only, a package that registers plugins."""
    (tmp_path / 'sora_thirdparty_plugin.py').write_text(THIRD_PARTY_MODULE)
    dist_info = tmp_path / 'sora_thirdparty_plugin-1.0.dist-info'
    dist_info.mkdir()
    (dist_info / 'METADATA').write_text(textwrap.dedent('''\
        Metadata-Version: 2.1
        Name: sora-thirdparty-plugin
        Version: 1.0
        '''))
    (dist_info / 'entry_points.txt').write_text(THIRD_PARTY_ENTRY_POINTS)
    monkeypatch.syspath_prepend(str(tmp_path))
    # stevedore remembers each namespace's entry points for the process.
    monkeypatch.setattr(extension.ExtensionManager, 'ENTRY_POINT_CACHE', {})


def test_default_filters_load_in_option_order(conf):
    loaded = plugins.load_filters(conf)
    assert [f.name for f in loaded] == filter_scheduler_conf.ALL_FILTERS
    assert all(isinstance(f, filters.BaseHostFilter) for f in loaded)


def test_filters_follow_the_configured_order(conf):
    conf.set_override('enabled_filters', ['RamFilter', 'ComputeFilter'],
                      group='filter_scheduler')
    assert [f.name for f in plugins.load_filters(conf)] == [
        'RamFilter', 'ComputeFilter']


def test_a_filter_that_runs_last_loads_after_the_others(conf):
    conf.set_override('enabled_filters', [
        'TopologySpreadFilter', 'RamFilter', 'ComputeFilter'],
        group='filter_scheduler')
    assert [f.name for f in plugins.load_filters(conf)] == [
        'RamFilter', 'ComputeFilter', 'TopologySpreadFilter']


def test_no_filters_enabled_loads_none(conf):
    conf.set_override('enabled_filters', [], group='filter_scheduler')
    assert plugins.load_filters(conf) == []


def test_default_weighers_load_in_option_order(conf):
    loaded = plugins.load_weighers(conf)
    assert [w.name for w in loaded] == filter_scheduler_conf.ALL_WEIGHERS
    assert all(isinstance(w, weighers.BaseHostWeigher) for w in loaded)


def test_a_misspelt_filter_stops_start_up_naming_it_and_the_option(conf):
    conf.set_override('enabled_filters', ['RamFilter', 'RamFitler', 'Nope'],
                      group='filter_scheduler')
    with pytest.raises(exception.PluginNotFound) as raised:
        plugins.load_filters(conf)
    message = str(raised.value)
    assert 'No filter named Nope, RamFitler' in message
    assert 'sora.scheduler.filters' in message
    assert '[filter_scheduler] enabled_filters' in message


def test_a_misspelt_weigher_stops_start_up_naming_it_and_the_option(conf):
    conf.set_override('weighers', ['RAMWeighter'], group='filter_scheduler')
    with pytest.raises(exception.PluginNotFound) as raised:
        plugins.load_weighers(conf)
    assert 'RAMWeighter' in str(raised.value)
    assert '[filter_scheduler] weighers' in str(raised.value)


@pytest.mark.parametrize('name, driver_class', [
    ('filter_scheduler', filter_scheduler.FilterScheduler),
    ('chance', chance.ChanceScheduler),
    ('memory', memory.MemoryScheduler)])
def test_each_driver_loads_with_conf_and_rng(conf, name, driver_class):
    conf.set_override('driver', name, group='scheduler')
    rng = random.Random(1)
    driver = plugins.load_driver(conf, rng)
    assert type(driver) is driver_class
    assert driver.conf is conf and driver.rng is rng


def test_an_unknown_driver_stops_start_up_naming_it_and_the_option(conf):
    conf.set_override('driver', 'fastest', group='scheduler')
    with pytest.raises(exception.PluginNotFound) as raised:
        plugins.load_driver(conf, random.Random())
    assert 'No scheduler driver named fastest' in str(raised.value)
    assert '[scheduler] driver' in str(raised.value)


def test_a_third_party_filter_loads_under_its_entry_point_name(
        conf, third_party, make_host, make_spec):
    conf.set_override('enabled_filters', ['OnlyEven'],
                      group='filter_scheduler')
    [only_even] = plugins.load_filters(conf)
    assert only_even.name == 'OnlyEven'
    even, odd = make_host(vcpus=2), make_host(vcpus=3)
    assert filters.filter_hosts([only_even], [even, odd], make_spec()) == (
        [even], [{'filter': 'OnlyEven', 'hosts_in': 2, 'hosts_out': 1}])


def test_a_broken_filter_stops_start_up(conf, third_party):
    conf.set_override('enabled_filters', ['RamFilter', 'BrokenFilter'],
                      group='filter_scheduler')
    with pytest.raises(exception.ConfigurationError) as raised:
        plugins.load_filters(conf)
    assert 'BrokenFilter' in str(raised.value)
    assert 'failed to load' in str(raised.value)


def test_a_broken_driver_stops_start_up(conf, third_party):
    conf.set_override('driver', 'broken_driver', group='scheduler')
    with pytest.raises(exception.ConfigurationError) as raised:
        plugins.load_driver(conf, random.Random())
    assert 'broken_driver' in str(raised.value)
