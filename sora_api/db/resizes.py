"""Resizing a schedule: new resources for every instance, in one transaction.

An instance whose host has room for the difference stays there (its host is
changed by the difference, with the claim's conditional ``UPDATE``s); the
others move to the targets chosen for them (claimed at the new size, their
old hosts released at the old one). The project's usage changes by the
difference within its quota, and the schedule's generation is compared and
swapped. Every instance is resized or none is.
"""

import collections

import sqlalchemy as sa

from sora_api import exception
from sora_api import timeutils
from sora_api.db import engine
from sora_api.db import events
from sora_api.db import groups
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from sora_api.db import moves
from sora_api.db import quotas
from sora_api.db import schedules
from sora_api.db import usage

S = models.Schedule.__table__
A = models.Allocation.__table__
CA = models.CustomAllocation.__table__


class NoRoomInPlace(exception.ClaimConflict):
    """A host lacks room for the difference: its instances must move."""

    msg_fmt = 'Host %(host_id)s has no room for the difference.'


def resize(db, schedule, resources, targets, quota_limits=None, group=None,
           group_state=None):
    """Give every instance of ``schedule`` (as read) ``resources``; those in
    ``targets`` (index -> ``(host_id, host_name)``) move there, under the
    ``group_state``
    ``(generation, members)`` of ``group`` read when they were placed.
    Returns the schedule after.

    Raises ``NoRoomInPlace`` for a staying instance's host without room,
    ``ClaimConflict`` for any other lost race, ``OverQuota`` when the
    difference passes the project's quota; nothing is written then.
    """
    return quotas.tracked_first(
        db, schedule.project_id, quota_limits, lambda: _resize(
            db, schedule, resources, targets, quota_limits, group,
            group_state))


@engine.retry_on_deadlock
def _resize(db, schedule, resources, targets, quota_limits, group,
            group_state):
    now = timeutils.utcnow()
    count = len(schedule.allocations)
    difference = collections.Counter(
        usage.project_amounts(resources, count))
    difference.subtract(usage.project_amounts(
        schedule.request['resources'], count))
    grown = {r: n for r, n in difference.items() if n > 0}
    host_ids = {index: host_id for index, (host_id, _) in targets.items()}
    request = dict(schedule.request, resources=resources)
    try:
        with db.connection(writer=True) as conn:
            bumped = conn.execute(sa.update(S).where(
                S.c.id == schedule.id,
                S.c.generation == schedule.generation,
                S.c.status.in_(moves.MOVABLE),
            ).values(generation=S.c.generation + 1, updated_at=now,
                     request=request)).rowcount
            if not bumped:
                raise exception.ClaimConflict(
                    reason='schedule %s changed' % schedule.id)
            if group and not groups.bump_group(
                    conn, schedule.project_id, group, *group_state):
                raise exception.ClaimConflict(
                    reason='group %s changed' % group)
            changed = _change_hosts(conn, schedule, resources, host_ids,
                                    now)
            quotas.consume(conn, schedule.project_id, grown,
                           quota_limits or {})
            quotas.release(conn, schedule.project_id,
                           {r: -n for r, n in difference.items() if n < 0})
            _rewrite_allocations(conn, schedule, resources, host_ids)
            db_hosts.mark_changed(conn, changed)
            events.schedule(conn, 'schedule.updated', schedule.id,
                            schedule.project_id)
    except quotas.Exceeded:
        quotas.explain(db, schedule.project_id, grown, quota_limits or {})
    return schedules.changed(schedule, now, targets, request)


def _change_hosts(conn, schedule, resources, targets, now):
    """Grow or shrink the staying instances' hosts, claim the targets at
    the new size, release the sources at the old one, hosts in one order;
    returns the hosts changed."""
    old_std, old_custom = usage.split_resources(
        schedule.request['resources'])
    new_std, new_custom = usage.split_resources(resources)
    staying, leaving = collections.Counter(), collections.Counter()
    for allocation in schedule.allocations:
        moving = allocation.instance_index in targets
        (leaving if moving else staying)[allocation.host_id] += 1
    arriving = collections.Counter(targets.values())
    hosts = sorted(set(staying) | set(leaving) | set(arriving))
    for host_id in hosts:
        if leaving[host_id]:
            usage.leave(conn, host_id, old_std, old_custom,
                        leaving[host_id], now)
        if staying[host_id] and not _grow(
                conn, host_id, (old_std, old_custom), (new_std, new_custom),
                staying[host_id], now):
            raise NoRoomInPlace(host_id=host_id)
        if arriving[host_id]:
            usage.arrive(conn, host_id, new_std, new_custom,
                         arriving[host_id], now)
    return hosts


def _grow(conn, host_id, old, new, count, now):
    """Change ``count`` instances on a host from ``old`` to ``new``
    ``(standard, custom)`` amounts; False when the host has no room."""
    (old_std, old_custom), (new_std, new_custom) = old, new
    delta = {r: (new_std[r] - old_std[r]) * count for r in new_std}
    if not usage.claim_host(conn, host_id, delta, 0, now):
        return False
    for name in sorted(set(old_custom) | set(new_custom)):
        change = (new_custom.get(name, 0) - old_custom.get(name, 0)) * count
        if change < 0:
            usage.release_inventory(conn, host_id, name, -change)
        elif change and not usage.claim_inventory(
                conn, host_id, name, change, new_custom[name]):
            return False
    return True


def _rewrite_allocations(conn, schedule, resources, targets):
    standard, custom = usage.split_resources(resources)
    conn.execute(sa.update(A).where(A.c.schedule_id == schedule.id)
                 .values(**standard))
    hosts = {a.instance_index: targets.get(a.instance_index, a.host_id)
             for a in schedule.allocations}
    for index, host_id in sorted(targets.items()):
        conn.execute(sa.update(A).where(
            A.c.schedule_id == schedule.id, A.c.instance_index == index
        ).values(host_id=host_id))
    conn.execute(sa.delete(CA).where(CA.c.schedule_id == schedule.id))
    if custom:
        conn.execute(sa.insert(CA), [
            dict(schedule_id=schedule.id, instance_index=index,
                 host_id=host_id, resource_class=name, amount=amount)
            for index, host_id in sorted(hosts.items())
            for name, amount in sorted(custom.items())])
