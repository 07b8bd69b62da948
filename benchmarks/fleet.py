"""The benchmark's hosts and requests: varied, deterministic, big enough.

Every host can take at least ``MIN_INSTANCES_PER_HOST`` instances of
``SCHEDULE_RESOURCES``, so a bounded run never exhausts the fleet:
``capacity(n)`` is checked against duration x the fastest plausible rate
before a run starts.
"""

import random

ZONES = ['az1', 'az2', 'az3', 'az4']
TRAITS = ['HW_CPU_X86_AVX2', 'HW_CPU_X86_AVX512F', 'CUSTOM_SSD',
          'CUSTOM_NVME', 'CUSTOM_GPU']
TIERS = ['gold', 'silver', 'bronze']
VCPUS = [32, 48, 64, 96, 128]
MEMORY_MB = [131072, 262144, 393216, 524288]
DISK_GB = [2000, 4000, 8000]

# One instance of every schedule request the benchmark sends.
SCHEDULE_RESOURCES = {'vcpus': 1, 'memory_mb': 256, 'disk_gb': 1}
# Smallest host: 32 vCPU x 16.0 (default ratio), 128 GiB x 1.5, 2000 GB.
MIN_INSTANCES_PER_HOST = min(32 * 16 // 1, 131072 * 3 // 2 // 256,
                             2000 // 1)


def host_body(index, prefix='bench', seed=0):
    """The POST /v1/hosts body of host number ``index``."""
    rng = random.Random(seed * 1_000_003 + index)
    return {
        'name': '%s-%06d' % (prefix, index),
        'availability_zone': ZONES[index % len(ZONES)],
        'vcpus': rng.choice(VCPUS),
        'memory_mb': rng.choice(MEMORY_MB),
        'disk_gb': rng.choice(DISK_GB),
        'traits': [t for t in TRAITS if rng.random() < 0.5],
        'metadata': {'tier': rng.choice(TIERS),
                     'rack': 'r%04d' % (index // 40)},
    }


def capacity(hosts):
    """Instances of ``SCHEDULE_RESOURCES`` the fleet can surely take."""
    return hosts * MIN_INSTANCES_PER_HOST


def schedule_body(dry_run=False):
    """The benchmark's schedule request: 1 instance, every host a candidate.

    No zone, trait or hint: every host passes every filter, which is the
    most work the scheduler can be asked to do per request.
    """
    body = {'resources': dict(SCHEDULE_RESOURCES), 'num_instances': 1}
    if dry_run:
        body['dry_run'] = True
    return body
