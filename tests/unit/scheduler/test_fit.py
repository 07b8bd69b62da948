"""fit: per-host instance counts agree with the driver placing them."""

import dataclasses
import random

import numpy as np
import pytest

from sora_api import exception
from sora_api.scheduler import fit
from sora_api.scheduler import host_table
from sora_api.scheduler import request_spec
from sora_api.scheduler.drivers import filter_scheduler


@pytest.fixture
def scheduler(conf):
    conf.set_override('max_io_ops_per_host', 6, group='filter_scheduler')
    conf.set_override('max_instances_per_host', 9, group='filter_scheduler')
    return filter_scheduler.FilterScheduler(conf, random.Random(1))


def random_fleet(rng, make_host, count=8):
    return [make_host(f'h{i}', availability_zone=rng.choice(['a', 'b']),
                      vcpus=rng.choice([2, 4, 8]),
                      memory_mb=rng.choice([1024, 4096, 8192]),
                      disk_gb=rng.choice([10, 100]),
                      vcpus_used=rng.choice([0, 1]),
                      io_ops=rng.choice([0, 0, 2]),
                      instances=rng.choice([0, 3]),
                      traits=[t for t in ('SSD', 'GPU') if rng.random() < .5],
                      metadata={'rack': rng.choice(['r1', 'r2', 'r3'])}
                      if rng.random() < .8 else {},
                      inventories={'CUSTOM_FPGA': {
                          'total': 2, 'reserved': 0, 'allocation_ratio': 1.0,
                          'max_unit': 2, 'used': 0}}
                      if rng.random() < .5 else None)
            for i in range(count)]


def random_spec(rng, make_spec):
    fields = {'vcpus': rng.choice([1, 2]),
              'memory_mb': rng.choice([256, 1024]), 'disk_gb': 1}
    if rng.random() < .3:
        fields['custom_resources'] = {'CUSTOM_FPGA': 1}
    if rng.random() < .3:
        fields['availability_zone'] = rng.choice(['a', 'b'])
    if rng.random() < .3:
        fields['required_traits'] = ['SSD']
    if rng.random() < .3:
        # Depends on what earlier instances took: searched, not computed.
        fields['query'] = ['>=', '$free_ram_mb', rng.choice([1024, 3000])]
    if rng.random() < .5:
        policy = rng.choice(['affinity', 'anti-affinity'])
        fields.update(group='g', group_policy=policy,
                      group_hosts={'id-h1': 1} if rng.random() < .5 else {},
                      group_topology_key=rng.choice(
                          ['host', 'availability_zone', 'metadata.rack']))
        if policy == 'anti-affinity':
            fields['max_per_domain'] = rng.choice([1, 2, 3])
    if rng.random() < .3:
        fields['spread'] = request_spec.Spread(
            rng.choice(['host', 'availability_zone', 'metadata.rack']),
            rng.choice([1, 2]))
    return make_spec(**fields)


def placed(scheduler, spec, hosts, count):
    """Whether the driver places ``count`` instances in one request."""
    try:
        scheduler.select_destinations(
            _copy(spec, num_instances=count), hosts)
    except exception.NoValidHost:
        return False
    return True


def _copy(spec, **changes):
    return dataclasses.replace(spec, group_hosts=dict(spec.group_hosts),
                               **changes)


@pytest.mark.parametrize('seed', range(80))
def test_counts_are_what_the_driver_places_in_one_request(
        scheduler, make_host, make_spec, seed):
    rng = random.Random(seed)
    hosts = random_fleet(rng, make_host)
    spec = random_spec(rng, make_spec)
    table = host_table.as_table(hosts)
    _, counts = fit.placeable(
        scheduler.filters, table, spec,
        lambda relaxed: scheduler.first_pick(relaxed, table))
    total = int(counts.sum())
    if total:
        assert placed(scheduler, spec, hosts, total)
    assert not placed(scheduler, spec, hosts, total + 1)


def test_consumed_is_consume_repeated(make_host, make_spec):
    hosts = [make_host('a', inventories={'CUSTOM_FPGA': {
        'total': 4, 'reserved': 0, 'allocation_ratio': 1.0, 'max_unit': 4,
        'used': 1}}), make_host('b')]
    spec = make_spec(custom_resources={'CUSTOM_FPGA': 1})
    table = host_table.as_table(hosts)
    view = table.consumed(np.array([2, 0]), spec)
    by_hand = table.with_own_usage()
    by_hand.consume(0, spec)
    by_hand.consume(0, spec)
    for column in host_table.USAGE_COLUMNS:
        assert list(getattr(view, column)) == list(getattr(by_hand, column))
    assert list(view.free('CUSTOM_FPGA')) == [1, 0]
    assert list(view.free('memory_mb')) == list(by_hand.free('memory_mb'))
    # The table it was made from is untouched.
    assert list(table.instances) == [0, 0]
    assert list(table.consumed([2, 0], spec, io_ops=False).io_ops) == [0, 0]


def test_anti_affinity_caps_each_host_at_one(scheduler, make_host,
                                             make_spec):
    hosts = [make_host('a'), make_host('b'), make_host('c')]
    spec = make_spec(group='g', group_policy='anti-affinity',
                     group_hosts={'id-c': 1})
    table = host_table.as_table(hosts)
    _, counts = fit.placeable(scheduler.filters, table, spec, None)
    assert list(counts) == [1, 1, 0]


def test_anti_affinity_per_zone_caps_each_zone(scheduler, make_host,
                                               make_spec):
    hosts = [make_host('a', availability_zone='z1'),
             make_host('b', availability_zone='z1'),
             make_host('c', availability_zone='z2')]
    spec = make_spec(group='g', group_policy='anti-affinity',
                     group_topology_key='availability_zone',
                     max_per_domain=3, group_hosts={'id-c': 2})
    table = host_table.as_table(hosts)
    _, counts = fit.placeable(scheduler.filters, table, spec, None)
    # Three more in z1 (filled in row order), one more in z2.
    assert list(counts) == [3, 0, 1]
