"""RamFilter, CoreFilter, DiskFilter: free capacity must cover the request."""

import logging

import pytest

from sora_api.scheduler.filters import resources


@pytest.mark.parametrize('free, asked, passes', [
    (1024, 1024, True), (1024, 1025, False), (0, 1, False)])
def test_ram_free_must_cover_the_request(
        conf, make_host, make_spec, free, asked, passes, keeps):
    host = make_host(memory_mb=free)
    spec = make_spec(memory_mb=asked)
    assert keeps(resources.RamFilter(conf), host, spec) is passes


def test_ram_counts_ratio_reserved_and_used(conf, make_host, make_spec, keeps):
    # 2048 * 1.5 - 512 reserved - 1024 used = 1536 free
    host = make_host(memory_mb=2048, ram_allocation_ratio=1.5,
                     reserved_memory_mb=512, memory_mb_used=1024)
    f = resources.RamFilter(conf)
    assert keeps(f, host, make_spec(memory_mb=1536))
    assert not keeps(f, host, make_spec(memory_mb=1537))


def test_cpu_ratio_lets_vcpus_overcommit(conf, make_host, make_spec, keeps):
    host = make_host(vcpus=2, cpu_allocation_ratio=16.0, vcpus_used=30)
    f = resources.CoreFilter(conf)
    assert keeps(f, host, make_spec(vcpus=2))
    assert not keeps(f, host, make_spec(vcpus=3))


def test_cpu_reserved_is_taken_off_usable(conf, make_host, make_spec, keeps):
    host = make_host(vcpus=4, reserved_vcpus=3)
    f = resources.CoreFilter(conf)
    assert keeps(f, host, make_spec(vcpus=1))
    assert not keeps(f, host, make_spec(vcpus=2))


def test_disk_counts_ratio_reserved_and_used(
        conf, make_host, make_spec, keeps):
    # 100 * 2.0 - 20 reserved - 30 used = 150 free
    host = make_host(disk_gb=100, disk_allocation_ratio=2.0,
                     reserved_disk_gb=20, disk_gb_used=30)
    f = resources.DiskFilter(conf)
    assert keeps(f, host, make_spec(disk_gb=150))
    assert not keeps(f, host, make_spec(disk_gb=151))


@pytest.mark.parametrize('filter_class', [
    resources.RamFilter, resources.CoreFilter, resources.DiskFilter])
def test_zero_request_passes_even_a_zero_capacity_host(
        conf, make_host, make_spec, filter_class, keeps):
    host = make_host(vcpus=0, memory_mb=0, disk_gb=0, reserved_vcpus=1,
                     reserved_memory_mb=1, reserved_disk_gb=1)
    spec = make_spec(vcpus=0, memory_mb=0, disk_gb=0)
    assert keeps(filter_class(conf), host, spec)


@pytest.mark.parametrize('filter_class', [
    resources.RamFilter, resources.CoreFilter, resources.DiskFilter])
def test_zero_capacity_host_fails_any_real_request(
        conf, make_host, make_spec, filter_class, keeps):
    host = make_host(vcpus=0, memory_mb=0, disk_gb=0)
    spec = make_spec(vcpus=1, memory_mb=1, disk_gb=1)
    assert not keeps(filter_class(conf), host, spec)


def test_elimination_is_logged_with_asked_and_available(
        conf, make_host, make_spec, caplog, keeps):
    host = make_host('h1', memory_mb=512)
    with caplog.at_level(logging.DEBUG):
        keeps(resources.RamFilter(conf), host, make_spec(memory_mb=1024))
    assert ('RamFilter: host h1 has 512.0 MB RAM free, request asks '
            '1024 MB RAM') in caplog.text
