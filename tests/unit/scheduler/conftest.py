"""Fixtures of the scheduler unit tests: config, host and request builders."""

import itertools
import random

import numpy as np
from oslo_config import cfg
import pytest

from sora_api import conf as sora_conf
from sora_api.api.schemas import schedules as schedule_schemas
from sora_api.scheduler import filters
from sora_api.scheduler import host_state
from sora_api.scheduler import host_table
from sora_api.scheduler import request_spec


@pytest.fixture
def conf():
    """A fresh, fully registered config that reads no file."""
    config = cfg.ConfigOpts()
    sora_conf.register_opts(config)
    config([], default_config_files=[])
    yield config
    config.reset()


@pytest.fixture
def make_host():
    """Build a HostState: 8 vCPUs, 4096 MB, 100 GB, ratios 1.0, by default.

    The id is ``id-<name>`` so tests can name group and same-host members.
    """
    counter = itertools.count(1)

    def build(name=None, **fields):
        name = name or f'host{next(counter)}'
        values = {'id': f'id-{name}', 'name': name,
                  'availability_zone': 'nova', 'vcpus': 8, 'memory_mb': 4096,
                  'disk_gb': 100}
        values.update(fields)
        return host_state.HostState(**values)
    return build


@pytest.fixture
def make_spec():
    """Build a RequestSpec for 1 vCPU, 512 MB, 10 GB unless told otherwise."""
    def build(**fields):
        values = {'project_id': 'project-a', 'vcpus': 1, 'memory_mb': 512,
                  'disk_gb': 10}
        values.update(fields)
        return request_spec.RequestSpec(**values)
    return build


@pytest.fixture
def chi_square():
    """Pearson's statistic of ``counts`` against a uniform distribution."""
    def statistic(counts):
        total = sum(counts)
        expected = total / len(counts)
        return sum((seen - expected) ** 2 / expected for seen in counts)
    return statistic


@pytest.fixture
def survivors():
    """The hosts one filter keeps, through the path production runs."""
    def run(host_filter, hosts, spec):
        return filters.filter_hosts([host_filter], hosts, spec)[0]
    return run


@pytest.fixture
def keeps(survivors):
    """Whether one filter keeps one host, through the production path."""
    def run(host_filter, host, spec):
        return survivors(host_filter, [host], spec) == [host]
    return run


@pytest.fixture
def raw():
    """One weigher's raw metric of each host, through the production path."""
    def run(weigher, hosts, spec):
        table = host_table.as_table(hosts).with_own_usage()
        return list(weigher.weigh_rows(table, np.arange(len(hosts)), spec))
    return run


TRAITS = ['CUSTOM_SSD', 'CUSTOM_GPU', 'HW_CPU_X86_AVX2']
ZONES = ['az1', 'az2', 'nova']
GPU = 'CUSTOM_GPU'
TOPOLOGY_KEYS = ['host', 'availability_zone', 'metadata.tier',
                 'metadata.rack']


def _random_hosts(make_host, rng, count):
    hosts = []
    for i in range(count):
        hosts.append(make_host(
            name='h%d' % i, availability_zone=rng.choice(ZONES),
            enabled=rng.random() > 0.1, up=rng.random() > 0.1,
            vcpus=rng.choice([0, 4, 16]), memory_mb=rng.choice([0, 2048,
                                                               8192]),
            disk_gb=rng.choice([0, 50, 500]),
            cpu_allocation_ratio=rng.choice([1.0, 4.0, 16.0]),
            ram_allocation_ratio=rng.choice([1.0, 1.5]),
            disk_allocation_ratio=rng.choice([0.5, 1.0]),
            reserved_vcpus=rng.choice([0, 2]),
            reserved_memory_mb=rng.choice([0, 512]),
            reserved_disk_gb=rng.choice([0, 10]),
            vcpus_used=rng.choice([0, 3, 20]),
            memory_mb_used=rng.choice([0, 1024, 9000]),
            disk_gb_used=rng.choice([0, 40]),
            instances=rng.choice([0, 1, 49, 50]),
            io_ops=rng.choice([0, 7, 8, 9]),
            traits=rng.sample(TRAITS, rng.randint(0, 3)),
            metadata={'tier': rng.choice(['gold', 'silver'])},
            inventories=rng.choice([{}, {GPU: {
                'total': rng.choice([0, 2, 8]), 'reserved': 0,
                'allocation_ratio': 1.0, 'max_unit': rng.choice([1, 2]),
                'used': rng.choice([0, 1])}}])))
    return hosts


def _random_spec(make_spec, rng, hosts):
    ids = [h.id for h in hosts]
    names = [h.name for h in hosts]
    return make_spec(
        vcpus=rng.choice([0, 1, 4]), memory_mb=rng.choice([0, 512, 4096]),
        disk_gb=rng.choice([0, 10, 100]),
        availability_zone=rng.choice([None] + ZONES + ['elsewhere']),
        required_traits=frozenset(rng.sample(TRAITS, rng.randint(0, 2))),
        forbidden_traits=frozenset(rng.sample(TRAITS, rng.randint(0, 1))),
        metadata=rng.choice([{}, {'tier': 'gold'}, {'tier': 'bronze'}]),
        group='g', group_policy=rng.choice(
            [None, 'affinity', 'anti-affinity', 'soft-affinity',
             'soft-anti-affinity']),
        group_hosts={h: rng.randint(1, 3) for h in rng.sample(ids, 3)},
        same_host=rng.choice([None, set(), set(rng.sample(ids, 4))]),
        different_host=rng.choice([None, set(rng.sample(ids, 4))]),
        ignore_hosts=frozenset(rng.sample(names, rng.randint(0, 3))),
        force_hosts=frozenset(rng.choice([[], rng.sample(names, 5),
                                          ['no-such-host']])),
        custom_resources=rng.choice([{}, {GPU: rng.choice([1, 2])}]),
        group_topology_key=rng.choice(TOPOLOGY_KEYS),
        max_per_domain=rng.choice([1, 2, 4]),
        spread=rng.choice([None] + [request_spec.Spread(
            key, rng.choice([1, 2]), when) for key in TOPOLOGY_KEYS
            for when in schedule_schemas.WHEN_UNSATISFIABLE]))


@pytest.fixture
def cases(make_host, make_spec):
    """60 random hosts and 80 random requests (seeded)."""
    rng = random.Random(20261123)
    hosts = _random_hosts(make_host, rng, 60)
    # Two hosts in three have a rack: hard policies and spreads on it
    # leave the others out.
    for i, host in enumerate(hosts):
        if i % 3:
            host.metadata = dict(host.metadata, rack='r%d' % (i % 4))
    return hosts, [_random_spec(make_spec, rng, hosts) for _ in range(80)]
