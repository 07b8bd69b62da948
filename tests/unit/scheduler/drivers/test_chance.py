"""ChanceScheduler: uniformly random among hosts with room, enabled, up."""

import collections
import random

import pytest

from sora_api import exception
from sora_api.scheduler.drivers import chance

# Chi-square critical value at p = 0.001 with 4 degrees of freedom.
CRITICAL_P001_DF4 = 18.467


@pytest.fixture
def hosts(make_host):
    return ([make_host(f'ok{i}') for i in range(5)]
            + [make_host('disabled', enabled=False),
               make_host('down', up=False),
               make_host('full', memory_mb=256)])


def test_picks_uniformly_among_hosts_that_fit(conf, hosts, make_spec,
                                              chi_square):
    driver = chance.ChanceScheduler(conf, random.Random(31337))
    draws = 5000
    counts = collections.Counter(
        driver.select_destinations(make_spec(), hosts)[0].name
        for _ in range(draws))
    assert set(counts) == {f'ok{i}' for i in range(5)}
    assert chi_square([counts[f'ok{i}'] for i in range(5)]) \
        < CRITICAL_P001_DF4


def test_only_the_capacity_checks_run(conf, hosts, make_spec):
    driver = chance.ChanceScheduler(conf, random.Random(1))
    candidates, funnel = driver.rank(
        make_spec(availability_zone='elsewhere'), hosts)
    assert funnel == [
        {'filter': 'ComputeFilter', 'hosts_in': 8, 'hosts_out': 6},
        {'filter': 'RamFilter', 'hosts_in': 6, 'hosts_out': 5},
        {'filter': 'CoreFilter', 'hosts_in': 5, 'hosts_out': 5},
        {'filter': 'DiskFilter', 'hosts_in': 5, 'hosts_out': 5}]
    assert [(c.host.name, c.weight, c.weights) for c in candidates] == [
        (f'ok{i}', 0.0, {}) for i in range(5)]


def test_later_instances_see_earlier_ones(conf, make_host, make_spec):
    hosts = [make_host('a', memory_mb=1024), make_host('b', memory_mb=1024)]
    driver = chance.ChanceScheduler(conf, random.Random(5))
    chosen = driver.select_destinations(
        make_spec(memory_mb=1024, num_instances=2), hosts)
    assert sorted(h.name for h in chosen) == ['a', 'b']


def test_nothing_fits_finds_no_valid_host(conf, make_host, make_spec):
    driver = chance.ChanceScheduler(conf, random.Random(5))
    with pytest.raises(exception.NoValidHost) as raised:
        driver.select_destinations(make_spec(disk_gb=1000), [make_host()])
    assert raised.value.explanation[-1] == {
        'filter': 'DiskFilter', 'hosts_in': 1, 'hosts_out': 0}
