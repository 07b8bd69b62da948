"""Moving instances of a schedule to other hosts in one transaction.

The schedule's generation is compared-and-swapped, each target host is
claimed with the claim's own conditional ``UPDATE``s (so it needs room only
for what moves to it) and each source host released, the allocation rows
re-pointed, all in one transaction: a lost race anywhere rolls everything
back, so an instance is never held twice, nor lost, nor half-moved.
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
from sora_api.db import schedules
from sora_api.db import usage

S = models.Schedule.__table__
A = models.Allocation.__table__
CA = models.CustomAllocation.__table__
MOVABLE = ('active', 'held')

_REPOINT = sa.update(A).where(
    A.c.schedule_id == sa.bindparam('sid'),
    A.c.instance_index == sa.bindparam('index'),
).values(host_id=sa.bindparam('target'))
_REPOINT_CUSTOM = sa.update(CA).where(
    CA.c.schedule_id == sa.bindparam('sid'),
    CA.c.instance_index == sa.bindparam('index'),
).values(host_id=sa.bindparam('target'))


@engine.retry_on_deadlock
def move(db, schedule, targets, group=None, group_state=None):
    """Move instance ``i`` of ``schedule`` (a ``ScheduleRecord`` as read)
    to host ``targets[i]``; returns the schedule as stored after.
    ``group_state`` is the ``(generation, members)`` the group was read at.

    Raises ``ClaimConflict`` when the schedule changed since it was read,
    the group changed, or a target has no room left; nothing is written.
    """
    now = timeutils.utcnow()
    with db.connection(writer=True) as conn:
        bumped = conn.execute(sa.update(S).where(
            S.c.id == schedule.id, S.c.generation == schedule.generation,
            S.c.status.in_(MOVABLE),
        ).values(generation=S.c.generation + 1, updated_at=now)).rowcount
        if not bumped:
            raise exception.ClaimConflict(
                reason='schedule %s changed' % schedule.id)
        if group and not groups.bump_group(
                conn, schedule.project_id, group, *group_state):
            raise exception.ClaimConflict(reason='group %s changed' % group)
        changed = _swap_hosts(conn, schedule, targets, now)
        params = [{'sid': schedule.id, 'index': index, 'target': target}
                  for index, target in sorted(targets.items())]
        conn.execute(_REPOINT, params)
        conn.execute(_REPOINT_CUSTOM, params)
        db_hosts.mark_changed(conn, changed)
        events.schedule(conn, 'schedule.updated', schedule.id,
                        schedule.project_id)
    return schedules.get(db, schedule.id)


def _swap_hosts(conn, schedule, targets, now):
    """Claim the targets and release the sources, hosts in one order;
    returns the hosts changed."""
    resources, custom = usage.split_resources(
        schedule.request['resources'])
    sources = {a.instance_index: a.host_id for a in schedule.allocations}
    arriving = collections.Counter(targets.values())
    leaving = collections.Counter(sources[i] for i in targets)
    # Hosts in a fixed order, as the claim takes them, so concurrent
    # claims and moves cannot deadlock one another.
    for host_id in sorted(set(arriving) | set(leaving)):
        count = leaving[host_id]
        if count:
            usage.release_host(
                conn, host_id, {r: v * count for r, v in resources.items()},
                count, now)
            for name, amount in sorted(custom.items()):
                usage.release_inventory(conn, host_id, name,
                                            amount * count)
        count = arriving[host_id]
        if count and not (
                usage.claim_host(
                    conn, host_id,
                    {r: v * count for r, v in resources.items()}, count, now)
                and usage.claim_inventories(conn, host_id, custom,
                                                count)):
            raise exception.ClaimConflict(
                reason='host %s has no room left' % host_id)
    return sorted(set(arriving) | set(leaving))
