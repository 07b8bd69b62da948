"""planning: the quota cap and what runs out first."""

import numpy as np

from sora_api.scheduler import host_table
from sora_api.scheduler import planning


def test_quota_remaining_is_the_tightest_limit(make_spec):
    spec = make_spec(vcpus=2, memory_mb=1024, disk_gb=0)
    usage = {'instances': 3, 'VCPU': 10, 'MEMORY_MB': 0}
    assert planning.quota_remaining(spec, {}, usage) is None
    assert planning.quota_remaining(
        spec, {'instances': 10, 'VCPU': 16, 'MEMORY_MB': -1}, usage) == 3
    # A limit already passed leaves nothing, not a negative count.
    assert planning.quota_remaining(spec, {'VCPU': 4}, usage) == 0
    # A class not asked does not limit.
    assert planning.quota_remaining(spec, {'DISK_GB': 0}, usage) is None


def test_capacity_sums_per_zone_and_caps_by_quota(make_host, make_spec):
    table = host_table.as_table([
        make_host('a', availability_zone='az1', vcpus=2, memory_mb=8192),
        make_host('b', availability_zone='az2', vcpus=8, memory_mb=2048)])
    spec = make_spec(vcpus=1, memory_mb=1024, disk_gb=0)
    counts = np.array([2, 2])
    candidates = np.array([True, True])
    found = planning.capacity(table, spec, candidates, counts, 3)
    assert found == {'instances': 3,
                     'by_availability_zone': {'az1': 2, 'az2': 2},
                     'limited_by': {'VCPU': 1, 'MEMORY_MB': 1},
                     'quota_remaining': 3}


def test_no_zone_shows_more_than_the_quota_leaves(make_host, make_spec):
    table = host_table.as_table([
        make_host('a', availability_zone='az1', vcpus=16, memory_mb=65536),
        make_host('b', availability_zone='az2', vcpus=8, memory_mb=2048)])
    spec = make_spec(vcpus=1, memory_mb=1024, disk_gb=0)
    found = planning.capacity(table, spec, np.array([True, True]),
                              np.array([12, 2]), 3)
    assert found['instances'] == 3
    assert found['by_availability_zone'] == {'az1': 3, 'az2': 2}
