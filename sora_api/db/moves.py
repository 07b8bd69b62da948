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

# Compare-and-swap of the schedule's generation; built once, so SQLAlchemy
# compiles it once.
_BUMP = sa.update(S).where(
    S.c.id == sa.bindparam('sid'),
    S.c.generation == sa.bindparam('read_generation'),
    S.c.status.in_(MOVABLE),
).values(generation=S.c.generation + 1, updated_at=sa.bindparam('now'))
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
    to host ``targets[i]``, a ``(host_id, host_name)`` pair; returns the
    schedule as stored after.
    ``group_state`` is the ``(generation, members)`` the group was read at.

    Raises ``ClaimConflict`` when the schedule changed since it was read,
    the group changed, or a target has no room left; nothing is written.
    """
    now = timeutils.utcnow()
    with db.connection(writer=True) as conn:
        bumped = conn.execute(_BUMP, {
            'sid': schedule.id, 'read_generation': schedule.generation,
            'now': now}).rowcount
        if not bumped:
            raise exception.ClaimConflict(
                reason='schedule %s changed' % schedule.id)
        if group and not groups.bump_group(
                conn, schedule.project_id, group, *group_state):
            raise exception.ClaimConflict(reason='group %s changed' % group)
        host_ids = {index: host_id
                    for index, (host_id, _) in targets.items()}
        changed = _swap_hosts(conn, schedule, host_ids, now)
        params = [{'sid': schedule.id, 'index': index, 'target': target}
                  for index, target in sorted(host_ids.items())]
        conn.execute(_REPOINT, params)
        if usage.split_resources(schedule.request['resources'])[1]:
            # Only a schedule asking for custom classes has such rows
            # (claims.claim, resizes.resize): one round trip fewer.
            conn.execute(_REPOINT_CUSTOM, params)
        db_hosts.mark_changed(conn, changed)
        events.schedule(conn, 'schedule.updated', schedule.id,
                        schedule.project_id)
    return schedules.changed(schedule, now, targets)


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
        if leaving[host_id]:
            usage.leave(conn, host_id, resources, custom, leaving[host_id],
                        now)
        if arriving[host_id]:
            usage.arrive(conn, host_id, resources, custom,
                         arriving[host_id], now)
    return sorted(set(arriving) | set(leaving))
