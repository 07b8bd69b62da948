"""MemoryScheduler: the host with the most free RAM, deterministically."""

import random

import pytest

from sora_api import exception
from sora_api.scheduler.drivers import memory


@pytest.fixture
def driver(conf):
    return memory.MemoryScheduler(conf, random.Random(1))


def test_most_free_ram_wins(driver, make_host, make_spec):
    hosts = [make_host('a', memory_mb=4096),
             make_host('b', memory_mb=8192, memory_mb_used=2048),
             make_host('c', memory_mb=16384, enabled=False)]
    [chosen] = driver.select_destinations(make_spec(), hosts)
    assert chosen.name == 'b'


def test_ties_go_to_the_earlier_host(driver, make_host, make_spec):
    hosts = [make_host('a'), make_host('b')]
    assert driver.select_destinations(make_spec(), hosts)[0].name == 'a'


def test_a_negative_ram_multiplier_does_not_make_it_stack(conf, make_host,
                                                          make_spec):
    conf.set_override('ram_weight_multiplier', -1.0, group='filter_scheduler')
    driver = memory.MemoryScheduler(conf, random.Random(1))
    hosts = [make_host('a', memory_mb=1024), make_host('b', memory_mb=8192)]
    assert driver.select_destinations(make_spec(), hosts)[0].name == 'b'


def test_instances_alternate_as_free_ram_shrinks(driver, make_host,
                                                 make_spec):
    hosts = [make_host('a', memory_mb=4096), make_host('b', memory_mb=3072)]
    chosen = driver.select_destinations(
        make_spec(memory_mb=1024, num_instances=4), hosts)
    # free: a 4096, b 3072 -> a 3072 (tie, a first) -> b 3072 -> a 2048
    assert [h.name for h in chosen] == ['a', 'a', 'b', 'a']


def test_rank_orders_by_free_ram_with_the_ram_weight(driver, make_host,
                                                     make_spec):
    hosts = [make_host('a', memory_mb=1024), make_host('b', memory_mb=3072),
             make_host('c', memory_mb=2048)]
    candidates, funnel = driver.rank(make_spec(), hosts)
    assert [(c.host.name, c.weight) for c in candidates] == [
        ('b', 1.0), ('c', 0.5), ('a', 0.0)]
    assert candidates[1].weights == {'RAMWeigher': 0.5}
    assert [step['filter'] for step in funnel] == [
        'ComputeFilter', 'RamFilter', 'CoreFilter', 'DiskFilter']


def test_nothing_fits_finds_no_valid_host(driver, make_host, make_spec):
    with pytest.raises(exception.NoValidHost):
        driver.select_destinations(make_spec(memory_mb=10 ** 6),
                                   [make_host()])
