#!/usr/bin/env python3
"""CPU time of one filter-and-weigh pass on an in-memory fleet, no database.

    .venv/bin/python benchmarks/passes.py [--hosts 10000 100000]

Builds the benchmark's fleet (``fleet.host_body``) straight into a
``HostTable`` and times, in CPU milliseconds (``time.process_time``: far
steadier than wall time on a shared machine), a dry run with and without a
``query`` hint, a schedule's ``select_destinations``, and the same after
each of three kinds of change a serving worker catches up with first:
none, two known hosts claimed on, ten new hosts registered. On the policy
fleet (some hosts tainted or dedicated, ``fleet.policy_fields``) it times
the plain dry run again and ``fleet.policies_body``'s, whose group already
has members spread over the zones (``policy_spec``), each also after ten
new hosts. Give
``PYTHONPATH`` another sora_api tree to measure it the same way.
"""

import argparse
import os
import random
import sys
import time

# Run as a script from anywhere (appended: a PYTHONPATH tree still wins).
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from oslo_config import cfg  # noqa: E402

from benchmarks import fleet  # noqa: E402
from sora_api import conf as sora_conf  # noqa: E402
from sora_api.scheduler import host_table  # noqa: E402
from sora_api.scheduler import manager as scheduler_manager  # noqa: E402

QUERY = ['and', ['>=', '$free_ram_mb', 1024], ['>=', '$free_disk_gb', 1]]


def table_row(index, prefix='bench', policies=False):
    """A ``HostTable`` row of the benchmark's host number ``index``."""
    body = fleet.host_body(index, prefix=prefix, policies=policies)
    row = dict.fromkeys(host_table.INT_COLUMNS, 0)
    row.update(id='id-' + body['name'], name=body['name'],
               availability_zone=body['availability_zone'], enabled=True,
               vcpus=body['vcpus'], memory_mb=body['memory_mb'],
               disk_gb=body['disk_gb'], cpu_allocation_ratio=16.0,
               ram_allocation_ratio=1.5, disk_allocation_ratio=1.0,
               traits=body['traits'], metadata=body['metadata'],
               taints=body.get('taints', []),
               projects=body.get('projects', []), heartbeat=float('nan'))
    return row


def policy_spec(manager, table):
    """The spec of ``fleet.policies_body``, its group's members on the
    hosts ``fleet.GROUP_MEMBERS`` (as the database would give them)."""
    body = fleet.policies_body(dry_run=True)
    hints = dict(body['hints'])
    # Without a database the group's members are set here, not read.
    group = hints.pop('group')
    spec, _ = manager.build_spec(fleet.PROJECT, dict(body, hints=hints))
    spec.group = group
    spec.group_hosts = {table.ids[i]: 1 for i in fleet.GROUP_MEMBERS}
    return spec


def cpu_ms(fn, repetitions, change=lambda k: None):
    """Median and 99th percentile CPU ms of ``change(k); fn()``."""
    times = []
    for k in range(repetitions):
        started = time.process_time()
        change(k)
        fn()
        times.append((time.process_time() - started) * 1000.0)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.99)]


def measure(conf, hosts, repetitions):
    table = host_table.HostTable()
    table.update([table_row(i) for i in range(hosts)])
    manager = scheduler_manager.SchedulerManager(conf, db=None,
                                                 rng=random.Random(1))
    driver = manager.driver
    plain = fleet.schedule_body(dry_run=True)
    for label, body in (('dry run', plain),
                        ('dry run, query', dict(plain,
                                                hints={'query': QUERY}))):
        spec, _ = manager.build_spec('bench', body)
        yield label, cpu_ms(
            lambda spec=spec: driver.rank(spec, table, 50), repetitions)
    yield from measure_policies(manager, hosts, repetitions)

    def select():
        spec, _ = manager.build_spec('bench', fleet.schedule_body())
        driver.select_destinations(spec, table)

    rng = random.Random(2)

    def claims(k):
        rows = []
        for i in rng.sample(range(len(table)), 2):
            row = host_table._state_values(table.host_state(i))
            del row['traits'], row['metadata']
            row['vcpus_used'] += 1
            rows.append(row)
        table.update(rows)

    def registrations(k):
        table.update([table_row(k * 10 + i, prefix='new')
                      for i in range(10)])

    for label, change in (('schedule', lambda k: None),
                          ('schedule, 2 hosts claimed on', claims),
                          ('schedule, 10 hosts registered', registrations)):
        yield label, cpu_ms(select, repetitions * 5, change)


def measure_policies(manager, hosts, repetitions):
    """The plain and the policy dry run on the policy fleet."""
    table = host_table.HostTable()
    table.update([table_row(i, policies=True) for i in range(hosts)])
    plain, _ = manager.build_spec(fleet.PROJECT,
                                  fleet.schedule_body(dry_run=True))
    specs = (('dry run, policy fleet', plain),
             ('dry run, placement policies', policy_spec(manager, table)))
    for label, spec in specs:
        if not manager.driver.rank(spec, table, 50)[0]:
            raise SystemExit(f'{label}: no candidate at {hosts} hosts')
        yield label, cpu_ms(
            lambda spec=spec: manager.driver.rank(spec, table, 50),
            repetitions)
    # New hosts make the table forget its cached columns (zones, metadata
    # values, taints, projects), which the next pass computes again.
    for label, spec in specs:
        def registrations(k, label=label):
            table.update([table_row(k * 10 + i, prefix=label, policies=True)
                          for i in range(10)])
        yield label + ', 10 hosts registered', cpu_ms(
            lambda spec=spec: manager.driver.rank(spec, table, 50),
            repetitions, registrations)


def run(measure, doc, width):
    """Parse ``--hosts`` and ``--repetitions`` and print the rows
    ``measure(conf, hosts, repetitions)`` yields, labels ``width`` wide:
    the command line of the in-process benchmarks (this one, explain.py).
    """
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument('--hosts', type=int, nargs='+',
                        default=[10000, 100000])
    parser.add_argument('--repetitions', type=int, default=20)
    args = parser.parse_args()
    conf = cfg.ConfigOpts()
    sora_conf.register_opts(conf)
    conf([], default_config_files=[])
    print('load average: %.2f %.2f %.2f' % os.getloadavg())
    for hosts in args.hosts:
        for label, (median, p99) in measure(conf, hosts, args.repetitions):
            print(f'{hosts:>7} hosts  {label:{width}} median {median:8.2f} '
                  f'ms CPU, p99 {p99:8.2f}')


def main():
    run(measure, __doc__, 30)


if __name__ == '__main__':
    main()
