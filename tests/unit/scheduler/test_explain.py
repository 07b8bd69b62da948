"""explain: the nearest hosts, and relaxations the driver confirms."""

import dataclasses
import random

import pytest

from sora_api import capacity
from sora_api import exception
from sora_api.scheduler import explain
from sora_api.scheduler import host_table
from sora_api.scheduler import request_spec
from sora_api.scheduler.drivers import filter_scheduler

SOFT = {'affinity': 'soft-affinity', 'anti-affinity': 'soft-anti-affinity'}


@pytest.fixture
def scheduler(conf):
    return filter_scheduler.FilterScheduler(conf, random.Random(1))


def test_nearest_ranks_by_filters_failed_then_shortfall(
        scheduler, make_host, make_spec):
    hosts = [make_host('fits'),
             make_host('two-off', memory_mb=1024, availability_zone='b'),
             make_host('far', memory_mb=512),
             make_host('close', memory_mb=3000)]
    spec = make_spec(memory_mb=4000, availability_zone='nova')
    nearest = explain.nearest(scheduler.filters, host_table.as_table(hosts),
                              spec)
    assert [(n['host_name'], n['failed_filters'], n['shortfall'])
            for n in nearest] == [
        ('close', ['RamFilter'], {'MEMORY_MB': 1000}),
        ('far', ['RamFilter'], {'MEMORY_MB': 3488}),
        ('two-off', ['AvailabilityZoneFilter', 'RamFilter'],
         {'MEMORY_MB': 2976})]


def test_nearest_lists_at_most_five(scheduler, make_host, make_spec):
    hosts = [make_host(memory_mb=100 + i) for i in range(9)]
    nearest = explain.nearest(scheduler.filters, host_table.as_table(hosts),
                              make_spec(memory_mb=4096))
    assert [n['host_name'] for n in nearest] == [
        'host9', 'host8', 'host7', 'host6', 'host5']


def relaxed(spec, relaxation):
    """``spec`` with a relaxation applied, as the request would be."""
    field, to = relaxation['field'], relaxation['to']
    head, _, name = field.partition('.')
    spec = dataclasses.replace(spec, group_hosts=dict(spec.group_hosts))
    if head == 'resources':
        if name in capacity.STANDARD:
            return dataclasses.replace(spec, **{capacity.STANDARD[name]: to})
        return dataclasses.replace(spec, custom_resources=dict(
            spec.custom_resources, **{name: to}))
    if head == 'metadata':
        return dataclasses.replace(spec, metadata={
            k: v for k, v in spec.metadata.items() if k != name})
    if head == 'hints':
        value = explain._DEFAULTS[name] if to is None else to
        return dataclasses.replace(spec, **{name: value})
    return dataclasses.replace(spec, **{field: to if to is not None
                                        else explain._DEFAULTS[field]})


def places(scheduler, spec, hosts):
    try:
        scheduler.select_destinations(
            dataclasses.replace(spec, group_hosts=dict(spec.group_hosts)),
            hosts)
    except exception.NoValidHost:
        return False
    return True


@pytest.mark.parametrize('seed', range(80))
def test_every_relaxation_lets_the_driver_place_the_request(
        scheduler, make_host, make_spec, seed):
    rng = random.Random(seed)
    hosts = [make_host(f'h{i}', availability_zone=rng.choice('abc'),
                       vcpus=rng.choice([2, 4, 8]),
                       memory_mb=rng.choice([1024, 4096, 8192]),
                       traits=[t for t in ('SSD', 'GPU') if rng.random() < .5],
                       metadata={'tier': rng.choice(['gold', 'silver'])})
             for i in range(8)]
    fields = {'vcpus': rng.choice([1, 3, 6]),
              'memory_mb': rng.choice([512, 3000, 6000]),
              'num_instances': rng.choice([1, 2, 4])}
    if rng.random() < .5:
        fields['availability_zone'] = rng.choice('abc')
    if rng.random() < .5:
        fields['required_traits'] = rng.sample(['SSD', 'GPU'], 1)
    if rng.random() < .3:
        fields['metadata'] = {'tier': 'gold'}
    if rng.random() < .3:
        fields['query'] = ['>=', '$free_ram_mb', 5000]
    if rng.random() < .3:
        fields['ignore_hosts'] = ['h0', 'h1', 'h2']
    if rng.random() < .5:
        fields.update(group='g', group_policy=rng.choice(sorted(SOFT)),
                      group_topology_key=rng.choice(
                          ['host', 'availability_zone', 'metadata.tier']))
    if rng.random() < .2:
        fields['spread'] = request_spec.Spread('metadata.tier', 1)
    spec = make_spec(**fields)
    table = host_table.as_table(hosts)
    _, relaxations = scheduler.explain(spec, table)
    fits = places(scheduler, spec, hosts)
    assert not (fits and relaxations)
    for relaxation in relaxations:
        changed = relaxed(spec, relaxation)
        assert places(scheduler, changed, hosts), relaxation
        rows, _ = scheduler.rank(changed, table)
        assert len(rows) == relaxation['hosts']
        if relaxation['field'].startswith('resources.'):
            more = dict(relaxation, to=relaxation['to'] + 1)
            assert not places(scheduler, relaxed(spec, more), hosts)
