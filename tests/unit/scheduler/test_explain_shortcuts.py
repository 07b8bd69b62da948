"""The shortcuts of explaining (kept filter answers, bounds on the counts,
shortfalls of the closest few) give the exhaustive answers."""

import dataclasses
import math
import random

import numpy as np
import pytest

from sora_api.scheduler import explain
from sora_api.scheduler import fit
from sora_api.scheduler import host_table
from sora_api.scheduler import request_spec
from sora_api.scheduler.drivers import filter_scheduler

GPU = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}


@pytest.fixture
def scheduler(conf):
    conf.set_override('max_io_ops_per_host', 6, group='filter_scheduler')
    conf.set_override('max_instances_per_host', 9, group='filter_scheduler')
    return filter_scheduler.FilterScheduler(conf, random.Random(1))


class Exhaustive:
    """``fit.Asked`` without a shortcut: every filter asked about every
    spec, every host's count searched, the group's caps applied per host
    (what explaining did before it kept anything)."""

    def __init__(self, filters, table, first_pick):
        self.filters = filters
        self.table = table
        self.first_pick = first_pick

    def passing(self, spec):
        return fit.passing(self.filters, self.table, spec)

    def fits(self, spec, num_instances):
        hosts = int(np.count_nonzero(self.passing(spec)))
        if not hosts or num_instances == 1:
            return hosts, bool(hosts)
        _, counts = fit.placeable(self.filters, self.table, spec,
                                  self.first_pick)
        return hosts, int(counts.sum()) >= num_instances


def random_table(rng, make_host, count):
    return host_table.as_table([make_host(
        f'h{i}', availability_zone=rng.choice('abc'),
        vcpus=rng.choice([2, 4, 8]), memory_mb=rng.choice([1024, 4096, 8192]),
        disk_gb=rng.choice([10, 100]), vcpus_used=rng.choice([0, 1]),
        io_ops=rng.choice([0, 0, 2]), instances=rng.choice([0, 3]),
        traits=[t for t in ('SSD', 'GPU') if rng.random() < .5],
        metadata={'rack': rng.choice(['r1', 'r2', 'r3']),
                  'tier': rng.choice(['gold', 'silver'])}
        if rng.random() < .8 else {},
        taints=[GPU] if rng.random() < .2 else [],
        inventories={'CUSTOM_FPGA': {
            'total': 2, 'reserved': 0, 'allocation_ratio': 1.0,
            'max_unit': 2, 'used': 0}} if rng.random() < .5 else None)
        for i in range(count)])


def random_spec(rng, make_spec, count):
    fields = {'vcpus': rng.choice([1, 2, 3, 6]),
              'memory_mb': rng.choice([256, 1024, 3000, 6000]),
              'disk_gb': rng.choice([1, 20]),
              'num_instances': rng.choice([1, 2, 3, 5, 8])}
    if rng.random() < .3:
        fields['custom_resources'] = {'CUSTOM_FPGA': rng.choice([1, 2])}
    if rng.random() < .3:
        fields['availability_zone'] = rng.choice('abc')
    if rng.random() < .3:
        fields['required_traits'] = ['SSD']
    if rng.random() < .2:
        fields['metadata'] = {'tier': 'gold'}
    if rng.random() < .2:
        fields['query'] = ['>=', '$free_ram_mb', rng.choice([1024, 3000])]
    if rng.random() < .2:
        fields['force_hosts'] = [f'h{i}' for i in
                                 rng.sample(range(count), 2)]
    if rng.random() < .2:
        fields['ignore_hosts'] = ['h0', 'h1']
    if rng.random() < .6:
        policy = rng.choice(['affinity', 'anti-affinity'])
        fields.update(group='g', group_policy=policy,
                      group_hosts={'id-h1': 1} if rng.random() < .3 else {},
                      group_topology_key=rng.choice(
                          ['host', 'availability_zone', 'metadata.rack']))
        if policy == 'anti-affinity':
            fields['max_per_domain'] = rng.choice([1, 2])
    if rng.random() < .2:
        fields['spread'] = request_spec.Spread(
            rng.choice(['host', 'availability_zone', 'metadata.rack']),
            rng.choice([1, 2]))
    return make_spec(**fields)


def relaxers(scheduler, table, spec):
    """``(fast, exhaustive)`` Relaxers of ``spec`` on ``table``."""
    def first_pick(relaxed):
        return scheduler.first_pick(relaxed, table)
    fast = explain.Relaxer(scheduler.filters, table, spec, first_pick)
    exhaustive = explain.Relaxer(scheduler.filters, table, spec, first_pick)
    exhaustive.asked = Exhaustive(scheduler.filters, table, first_pick)
    return fast, exhaustive


@pytest.mark.parametrize('seed', range(150))
def test_relaxations_are_those_every_filter_asked_again_finds(
        scheduler, make_host, make_spec, seed):
    rng = random.Random(seed)
    count = rng.choice([6, 10, 16])
    table = random_table(rng, make_host, count)
    spec = random_spec(rng, make_spec, count)
    fast, exhaustive = relaxers(scheduler, table, spec)
    assert fast.fits(spec) == exhaustive.fits(spec)
    for field, to, relaxed in exhaustive._changes():
        assert fast.fits(relaxed) == exhaustive.fits(relaxed), (field, to)
    fast, exhaustive = relaxers(scheduler, table, spec)
    assert fast.relaxations() == exhaustive.relaxations()


def exhaustive_nearest(filters, table, spec, limit=explain.NEAREST):
    """Every host some filter failed, sorted by (filters failed,
    shortfall share, table order), the first ``limit``."""
    by_filter = fit.masks(filters, table, spec)
    lacking = explain.shortfalls(table, spec)
    ranked = []
    for row in range(len(table)):
        failed = [name for name, mask in by_filter.items() if not mask[row]]
        if not failed:
            continue
        share = 0.0
        for name, lack in lacking.items():
            share += lack[row] / spec.resources[name]
        ranked.append(((len(failed), share, row), {
            'host_id': table.ids[row], 'host_name': table.names[row],
            'failed_filters': failed,
            'shortfall': {name: int(math.ceil(lack[row]))
                          for name, lack in lacking.items()
                          if lack[row] > 0}}))
    ranked.sort(key=lambda pair: pair[0])
    return [found for _, found in ranked[:limit]]


@pytest.mark.parametrize('seed', range(60))
def test_nearest_is_the_exhaustive_ranking(scheduler, make_host, make_spec,
                                           seed):
    rng = random.Random(seed)
    # Past 40 hosts failing alike, the first few looked at for hosts
    # lacking nothing may not hold enough of them.
    count = rng.choice([3, 12, 60, 120])
    table = random_table(rng, make_host, count)
    spec = random_spec(rng, make_spec, count)
    if rng.random() < .5:
        spec = dataclasses.replace(spec, memory_mb=rng.choice([7000, 9000]))
    assert (explain.nearest(scheduler.filters, table, spec)
            == exhaustive_nearest(scheduler.filters, table, spec))
