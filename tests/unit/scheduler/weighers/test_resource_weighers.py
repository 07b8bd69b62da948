"""RAMWeigher, CPUWeigher, DiskWeigher: positive spreads, negative stacks."""

import pytest

from sora_api.scheduler import weighers
from sora_api.scheduler.weighers import resources


@pytest.fixture
def hosts(make_host):
    return [make_host('full', memory_mb=1024, vcpus=2, disk_gb=10),
            make_host('half', memory_mb=4096, vcpus=8, disk_gb=50,
                      memory_mb_used=2048, vcpus_used=4, disk_gb_used=25),
            make_host('empty', memory_mb=8192, vcpus=16, disk_gb=100)]


CASES = [(resources.RAMWeigher, 'ram_weight_multiplier'),
         (resources.CPUWeigher, 'cpu_weight_multiplier'),
         (resources.DiskWeigher, 'disk_weight_multiplier')]


@pytest.mark.parametrize('weigher_class, option', CASES)
def test_positive_multiplier_spreads_to_the_emptiest_host(
        conf, hosts, make_spec, weigher_class, option):
    weighed = weighers.weigh_hosts([weigher_class(conf)], hosts, make_spec())
    assert [w.host.name for w in weighed] == ['empty', 'half', 'full']
    assert weighed[0].weight == 1.0


@pytest.mark.parametrize('weigher_class, option', CASES)
def test_negative_multiplier_stacks_onto_the_fullest_host(
        conf, hosts, make_spec, weigher_class, option):
    conf.set_override(option, -2.0, group='filter_scheduler')
    weighed = weighers.weigh_hosts([weigher_class(conf)], hosts, make_spec())
    assert [w.host.name for w in weighed] == ['full', 'half', 'empty']
    assert weighed[-1].weight == -2.0


def test_raw_metrics(conf, make_host, make_spec, raw):
    host = make_host(memory_mb=2048, ram_allocation_ratio=1.5,
                     memory_mb_used=1000, vcpus=4, cpu_allocation_ratio=4.0,
                     disk_gb=3, disk_gb_used=1)
    spec = make_spec()
    assert raw(resources.RAMWeigher(conf), [host], spec) == [2072]
    assert raw(resources.CPUWeigher(conf), [host], spec) == [16]
    assert raw(resources.DiskWeigher(conf), [host], spec) == [2048]


def test_multipliers_default_to_one(conf):
    assert resources.RAMWeigher(conf).weight_multiplier() == 1.0
    assert resources.CPUWeigher(conf).weight_multiplier() == 1.0
    assert resources.DiskWeigher(conf).weight_multiplier() == 1.0
