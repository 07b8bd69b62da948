#!/usr/bin/env python3
"""CPU time of explaining a refused request and of counting capacity.

    .venv/bin/python benchmarks/explain.py [--hosts 10000 100000]

On the benchmark's fleet (``passes.table_row``) built straight into a
``HostTable``, no database, it times in CPU milliseconds
(``time.process_time``): a plain dry run (rank only, what a dry run cost
before it explained itself), a dry run with its nearest hosts, three
refused requests answered with nearest and relaxations (one instance too
big; three instances kept apart on two forced hosts; six SSD instances
kept apart over the four zones) and the relaxations' share of each, and
capacity for a request that fits hundreds of thousands of times, with
and without an anti-affinity group. The issue's budgets: a 409 with
explanations within 3x a plain dry run, capacity at 10k hosts within
100 ms.
"""

import dataclasses
import os
import random
import sys

# Run as a script from anywhere (appended: a PYTHONPATH tree still wins).
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


from benchmarks import fleet  # noqa: E402
from benchmarks import passes  # noqa: E402
from sora_api import exception  # noqa: E402
from sora_api.scheduler import host_table  # noqa: E402
from sora_api.scheduler import manager as scheduler_manager  # noqa: E402
from sora_api.scheduler import planning  # noqa: E402

# The hints of a group, set on the spec as a new group's.
GROUP_HINTS = ('group', 'group_policy', 'group_topology_key',
               'max_per_domain')
TOO_BIG = {'resources': {'vcpus': 8, 'memory_mb': 900000},
           'availability_zone': 'az1', 'required_traits': ['CUSTOM_SSD'],
           'metadata': {'tier': 'gold'}}


def apart(hosts):
    """Three instances kept apart on two forced hosts: the third fails."""
    return {'resources': dict(fleet.SCHEDULE_RESOURCES), 'num_instances': 3,
            'hints': {'group': 'g', 'group_policy': 'anti-affinity',
                      'force_hosts': ['bench-%06d' % (hosts // 2),
                                      'bench-%06d' % (hosts // 3)]}}


def apart_over_zones():
    """Six SSD instances, at most one per zone: the fifth fails."""
    return {'resources': dict(fleet.SCHEDULE_RESOURCES), 'num_instances': 6,
            'required_traits': ['CUSTOM_SSD'],
            'hints': {'group': 'g', 'group_policy': 'anti-affinity',
                      'group_topology_key': 'availability_zone'}}


def measure(conf, hosts, repetitions):
    table = host_table.HostTable()
    table.update([passes.table_row(i) for i in range(hosts)])
    manager = scheduler_manager.SchedulerManager(conf, db=None,
                                                 rng=random.Random(1))
    driver = manager.driver
    limit = conf.filter_scheduler.max_dry_run_candidates

    def spec_of(body):
        """The spec of ``body``; a group is new (no database to ask)."""
        hints = dict(body.get('hints', {}))
        group = {name: hints.pop(name) for name in GROUP_HINTS
                 if name in hints}
        spec = manager.build_spec('bench', dict(body, hints=hints))[0]
        return dataclasses.replace(spec, **group)

    plain = spec_of(fleet.schedule_body())
    yield 'dry run, plain (rank only)', passes.cpu_ms(
        lambda: driver.rank(plain, table, limit), repetitions)
    yield 'dry run with nearest', passes.cpu_ms(
        lambda: (driver.rank(plain, table, limit),
                 driver.explain(plain, table)), repetitions)

    def refused(body):
        def run():
            try:
                manager._placed_or_explained(body, spec_of(body), table)
            except exception.NoValidHost as e:
                return e
            raise AssertionError('the request fitted')
        return run

    for label, body in (('409 too big, nearest+relaxations', TOO_BIG),
                        ('409 3 apart on 2 hosts, explained', apart(hosts)),
                        ('409 6 apart over 4 zones, explained',
                         apart_over_zones())):
        found = refused(body)()
        assert found.nearest and found.relaxations, label
        yield label, passes.cpu_ms(refused(body), repetitions)
        # The rest of the 409 is placing until an instance finds no host
        # (select_destinations, its nearest hosts included).
        yield '  of which relaxations', passes.cpu_ms(
            lambda body=body: driver.relaxations(spec_of(body), table),
            repetitions)

    def capacity(body):
        def run():
            spec = spec_of(body)
            counted, candidates, counts = driver.placeable(spec, table)
            return planning.capacity(counted, spec, candidates, counts, None)
        return run

    small = fleet.schedule_body()
    for label, body in (('capacity', small),
                        ('capacity, anti-affinity', dict(small, hints={
                            'group': 'g', 'group_policy': 'anti-affinity'}))):
        assert capacity(body)()['instances'] >= hosts, label
        yield label, passes.cpu_ms(capacity(body), repetitions)


def main():
    passes.run(measure, __doc__, 36)


if __name__ == '__main__':
    main()
