"""What the database must hold whatever happened: read from the rows."""

import collections

import sqlalchemy as sa

from sora_api import capacity
from sora_api.db import models

RESOURCES = tuple(capacity.STANDARD_COLUMNS)


def check(db):
    """Assert the claim invariants; return ``(schedules, hosts)`` rows.

    Every schedule has exactly ``num_instances`` allocations (indexes 0..n-1)
    and each instance holds what the schedule asks, of every class, on one
    host; an expired hold holds nothing. For every host and class, ``used``
    is the sum of its allocations and stays within the usable capacity
    (``capacity.usable``); every project's usage row (one for each of its
    own limits, and for a resource a default limits once claimed) is the
    sum of its live schedules' allocations of that resource.
    """
    with db.engine.connect() as conn:
        def rows(model):
            return conn.execute(sa.select(model.__table__)).mappings().all()
        schedules = rows(models.Schedule)
        allocations = rows(models.Allocation)
        hosts = rows(models.Host)
        inventories = rows(models.Inventory)
        custom = rows(models.CustomAllocation)
        usages = rows(models.ProjectUsage)
        limits = rows(models.Quota)
    _check_schedules(schedules, allocations, custom)
    _check_standard_usage(hosts, allocations)
    _check_custom_usage(hosts, inventories, custom)
    _check_project_usage(schedules, allocations, custom, usages, limits)
    return schedules, hosts


def check_server(srv):
    """``check`` on the database of a running test server."""
    db = srv.database()
    try:
        return check(db)
    finally:
        db.engine.dispose()


def _check_schedules(schedules, allocations, custom):
    by_schedule = collections.defaultdict(list)
    for allocation in allocations:
        by_schedule[allocation['schedule_id']].append(allocation)
    custom_by_instance = collections.defaultdict(dict)
    for allocation in custom:
        key = allocation['schedule_id'], allocation['instance_index']
        custom_by_instance[key][allocation['resource_class']] = allocation
    ids = {s['id'] for s in schedules}
    assert set(by_schedule) <= ids
    assert {key[0] for key in custom_by_instance} <= ids
    for schedule in schedules:
        mine = by_schedule[schedule['id']]
        if schedule['status'] == 'expired':
            assert mine == [], schedule['id']
            continue
        request = schedule['request']
        asked = {capacity.field_of(name): amount
                 for name, amount in request['resources'].items()}
        assert sorted(a['instance_index'] for a in mine) == list(range(
            request.get('num_instances', 1))), schedule['id']
        asked_custom = {name: amount for name, amount in asked.items()
                        if capacity.is_custom(name) and amount}
        for allocation in mine:
            for resource in RESOURCES:
                assert allocation[resource] == asked.get(resource, 0), (
                    schedule['id'], resource)
            held = custom_by_instance.pop(
                (schedule['id'], allocation['instance_index']), {})
            assert {name: a['amount'] for name, a in held.items()} == (
                asked_custom), (schedule['id'], allocation['instance_index'])
            assert {a['host_id'] for a in held.values()} <= {
                allocation['host_id']}, schedule['id']
    # Custom allocations of instances that hold no standard allocation.
    assert not custom_by_instance, sorted(custom_by_instance)


def _check_standard_usage(hosts, allocations):
    for host in hosts:
        mine = [a for a in allocations if a['host_id'] == host['id']]
        assert host['instances'] == len(mine), host['name']
        for resource in RESOURCES:
            total, ratio, reserved, used = capacity.STANDARD_COLUMNS[resource]
            assert host[used] == sum(a[resource] for a in mine), (
                host['name'], resource)
            assert host[used] <= capacity.usable(
                host[total], host[ratio], host[reserved]), (
                host['name'], resource)


def _check_custom_usage(hosts, inventories, custom):
    names = {h['id']: h['name'] for h in hosts}
    held = collections.Counter()
    for allocation in custom:
        held[allocation['host_id'], allocation['resource_class']] += (
            allocation['amount'])
    stored = {}
    for inventory in inventories:
        key = inventory['host_id'], inventory['resource_class']
        stored[key] = inventory['used']
        where = names[inventory['host_id']], inventory['resource_class']
        assert inventory['used'] <= capacity.usable(
            inventory['total'], inventory['allocation_ratio'],
            inventory['reserved']), where
    for key in set(held) | set(stored):
        where = names.get(key[0], key[0]), key[1]
        # An allocation of a class the host has no inventory of is lost.
        assert key in stored, where
        assert stored[key] == held[key], where
    counts = collections.Counter(i['host_id'] for i in inventories)
    for host in hosts:
        assert host['custom_inventories'] == counts[host['id']], host['name']


def _check_project_usage(schedules, allocations, custom, usages, limits):
    owner = {s['id']: s['project_id'] for s in schedules}
    held = collections.Counter()
    for allocation in allocations:
        project = owner[allocation['schedule_id']]
        held[project, 'instances'] += 1
        for name, field in capacity.STANDARD.items():
            held[project, name] += allocation[field]
    for allocation in custom:
        held[owner[allocation['schedule_id']],
             allocation['resource_class']] += allocation['amount']
    stored = {(u['project_id'], u['resource']): u['used'] for u in usages}
    for key, used in stored.items():
        assert used == held[key], key
    for limit in limits:
        if limit['hard_limit'] >= 0:
            assert (limit['project_id'], limit['resource']) in stored, limit
