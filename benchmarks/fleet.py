"""The benchmark's hosts and requests: varied, deterministic, big enough.

Every host can take at least ``MIN_INSTANCES_PER_HOST`` instances of
``SCHEDULE_RESOURCES``, so a bounded run never exhausts the fleet:
``capacity(n)`` is checked against duration x the fastest plausible rate
before a run starts.

A GPU fleet (``gpu_fraction`` > 0, issue 9) gives that share of the hosts
an inventory of one of ``GPU_CLASSES`` (custom resource classes, created
first with ``PUT /v1/resource_classes/{name}``), and its schedule mix asks
for one GPU in two requests out of eight.

A policy fleet (``policies=True``, issue 12) taints a share of the hosts
and dedicates others to a project (``policy_fields``), and
``policies_body`` is a request using a zone anti-affinity group, a spread,
a toleration and a preference together.
"""

import random

ZONES = ['az1', 'az2', 'az3', 'az4']
TRAITS = ['HW_CPU_X86_AVX2', 'HW_CPU_X86_AVX512F', 'CUSTOM_SSD',
          'CUSTOM_NVME', 'CUSTOM_GPU']
TIERS = ['gold', 'silver', 'bronze']
VCPUS = [32, 48, 64, 96, 128]
MEMORY_MB = [131072, 262144, 393216, 524288]
DISK_GB = [2000, 4000, 8000]
GPU_CLASSES = ['CUSTOM_GPU_A100', 'CUSTOM_GPU_T4']
GPU_TOTALS = [4, 8]

# The benchmark's member project (benchmarks/server.py makes its token),
# another project, and the policy request's group.
PROJECT = 'bench-project'
OTHER_PROJECT = 'bench-other-project'
GROUP = 'bench-web'
# The policy request's group: at most this many members per zone.
GROUP_MAX_PER_ZONE = 2
# Host numbers of the group's members when a run places them itself
# (benchmarks/passes.py): two in az1 and az2, one in az3 and az4, each in
# a rack of its own.
GROUP_MEMBERS = [i * 41 for i in range(6)]
# Share of a policy fleet's hosts with each of these, drawn per host.
GPU_TAINT = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}
SOFT_TAINT = {'key': 'maintenance', 'effect': 'PreferNoSchedule'}
POLICY_SHARES = (
    (0.05, {'taints': [GPU_TAINT]}),
    (0.05, {'taints': [SOFT_TAINT]}),
    (0.05, {'projects': [OTHER_PROJECT]}),
    (0.05, {'projects': [PROJECT], 'taints': [GPU_TAINT]}),
)

# One instance of every schedule request the benchmark sends.
SCHEDULE_RESOURCES = {'vcpus': 1, 'memory_mb': 256, 'disk_gb': 1}
# Smallest host: 32 vCPU x 16.0 (default ratio), 128 GiB x 1.5, 2000 GB.
MIN_INSTANCES_PER_HOST = min(32 * 16 // 1, 131072 * 3 // 2 // 256,
                             2000 // 1)


def host_body(index, prefix='bench', seed=0, gpu_fraction=0.0,
              policies=False):
    """The POST /v1/hosts body of host number ``index``; with
    ``policies``, its ``policy_fields`` too."""
    rng = random.Random(seed * 1_000_003 + index)
    body = {
        'name': '%s-%06d' % (prefix, index),
        'availability_zone': ZONES[index % len(ZONES)],
        'vcpus': rng.choice(VCPUS),
        'memory_mb': rng.choice(MEMORY_MB),
        'disk_gb': rng.choice(DISK_GB),
        'traits': [t for t in TRAITS if rng.random() < 0.5],
        'metadata': {'tier': rng.choice(TIERS),
                     'rack': 'r%04d' % (index // 40)},
    }
    # Drawn last, so the hosts' other fields do not depend on the option.
    if gpu_fraction and rng.random() < gpu_fraction:
        body['inventories'] = {rng.choice(GPU_CLASSES): {
            'total': rng.choice(GPU_TOTALS)}}
    if policies:
        body.update(policy_fields(index, seed))
    return body


def policy_fields(index, seed=0):
    """Host number ``index``'s ``taints`` and ``projects`` in a policy
    fleet (``POLICY_SHARES``; most hosts have neither).

    Drawn from a stream of their own, so the other fields are those of
    the plain fleet.
    """
    draw = random.Random('policies-%d-%d' % (seed, index)).random()
    for share, fields in POLICY_SHARES:
        if draw < share:
            return {name: list(value) for name, value in fields.items()}
        draw -= share
    return {}


def capacity(hosts):
    """Instances of ``SCHEDULE_RESOURCES`` the fleet can surely take."""
    return hosts * MIN_INSTANCES_PER_HOST


def gpu_capacity(hosts, gpu_fraction, prefix='bench'):
    """GPUs of each class in a fleet of ``hosts`` (one instance each)."""
    totals = dict.fromkeys(GPU_CLASSES, 0)
    for index in range(hosts):
        body = host_body(index, prefix, gpu_fraction=gpu_fraction)
        for name, inventory in body.get('inventories', {}).items():
            totals[name] += inventory['total']
    return totals


def schedule_mix(gpu_fraction=0.0):
    """The bodies a schedule run cycles through.

    Without GPUs, the one ``schedule_body()``. With them, eight: one asks
    for a ``CUSTOM_GPU_A100``, one for a ``CUSTOM_GPU_T4``, six for none.
    """
    if not gpu_fraction:
        return [schedule_body()]
    mix = []
    for name in GPU_CLASSES:
        gpu = schedule_body()
        gpu['resources'][name] = 1
        mix += [schedule_body(), schedule_body(), schedule_body(), gpu]
    return mix


def schedule_body(dry_run=False):
    """The benchmark's schedule request: 1 instance, every host a candidate.

    No zone, trait or hint: every host passes every filter, which is the
    most work the scheduler can be asked to do per request.
    """
    body = {'resources': dict(SCHEDULE_RESOURCES), 'num_instances': 1}
    if dry_run:
        body['dry_run'] = True
    return body


def policies_body(dry_run=False):
    """``schedule_body`` with every kind of placement policy at once: a
    member of group ``GROUP`` (anti-affinity per zone, at most
    ``GROUP_MAX_PER_ZONE``), spread over racks, tolerating the GPU taint,
    preferring gold hosts.
    """
    body = schedule_body(dry_run)
    body['hints'] = {'group': GROUP, 'group_policy': 'anti-affinity',
                     'group_topology_key': 'availability_zone',
                     'max_per_domain': GROUP_MAX_PER_ZONE,
                     'spread': {'key': 'metadata.rack', 'max_skew': 1}}
    body['tolerations'] = [{'key': 'gpu', 'operator': 'Exists',
                            'effect': 'NoSchedule'}]
    body['preferences'] = [{'weight': 50,
                            'query': ['=', '$metadata.tier', 'gold']}]
    return body
