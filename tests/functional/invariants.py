"""What the database must hold whatever happened: read from the rows."""

import collections

import sqlalchemy as sa

from sora_api.db import models

RESOURCES = ('vcpus', 'memory_mb', 'disk_gb')


def _usable(host, resource):
    ratio = {'vcpus': 'cpu_allocation_ratio',
             'memory_mb': 'ram_allocation_ratio',
             'disk_gb': 'disk_allocation_ratio'}[resource]
    return (host[resource] * host[ratio]
            - host['reserved_' + resource])


def check(db):
    """Assert the claim invariants; return ``(schedules, hosts)`` rows.

    Every schedule has exactly ``num_instances`` allocations (indexes 0..n-1)
    and asks what they hold, an expired hold none; every host's usage
    counters are the sums of its allocations and stay within its usable
    capacity; every project's usage is the sum of its schedules'
    allocations.
    """
    with db.engine.connect() as conn:
        schedules = conn.execute(sa.select(
            models.Schedule.__table__)).mappings().all()
        allocations = conn.execute(sa.select(
            models.Allocation.__table__)).mappings().all()
        hosts = conn.execute(sa.select(
            models.Host.__table__)).mappings().all()
        custom = conn.execute(sa.select(
            models.CustomAllocation.__table__)).mappings().all()
        usages = conn.execute(sa.select(
            models.ProjectUsage.__table__)).mappings().all()
    by_schedule = collections.defaultdict(list)
    for allocation in allocations:
        by_schedule[allocation['schedule_id']].append(allocation)
    assert set(by_schedule) <= {s['id'] for s in schedules}
    for schedule in schedules:
        request = schedule['request']
        mine = by_schedule[schedule['id']]
        if schedule['status'] == 'expired':
            assert mine == [], schedule['id']
            continue
        assert sorted(a['instance_index'] for a in mine) == list(range(
            request.get('num_instances', 1))), schedule['id']
        for allocation in mine:
            for resource in RESOURCES:
                assert allocation[resource] == request['resources'].get(
                    resource, 0)
    for host in hosts:
        mine = [a for a in allocations if a['host_id'] == host['id']]
        assert host['instances'] == len(mine), host['name']
        for resource in RESOURCES:
            assert host[resource + '_used'] == sum(
                a[resource] for a in mine), (host['name'], resource)
            assert host[resource + '_used'] <= _usable(host, resource), (
                host['name'], resource)
    _check_project_usage(schedules, allocations, custom, usages)
    return schedules, hosts


def _check_project_usage(schedules, allocations, custom, usages):
    owner = {s['id']: s['project_id'] for s in schedules}
    held = collections.Counter()
    for allocation in allocations:
        project = owner[allocation['schedule_id']]
        held[project, 'instances'] += 1
        for resource, name in zip(RESOURCES, ('VCPU', 'MEMORY_MB',
                                              'DISK_GB')):
            held[project, name] += allocation[resource]
    for allocation in custom:
        held[owner[allocation['schedule_id']],
             allocation['resource_class']] += allocation['amount']
    stored = {(u['project_id'], u['resource']): u['used'] for u in usages}
    for key in set(held) | set(stored):
        assert stored.get(key, 0) == held[key], key
