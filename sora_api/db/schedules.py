"""Schedules as stored: reading, listing and deleting them.

A schedule is created by ``claims.claim``; a delete releases every
allocation (``usage.release``) and drops the row in one transaction.
"""

import collections
import dataclasses

import sqlalchemy as sa

from sora_api import exception
from sora_api.db import engine
from sora_api.db import events
from sora_api.db import groups
from sora_api.db import models
from sora_api.db import usage

H = models.Host.__table__


@dataclasses.dataclass
class Allocation:
    instance_index: int
    host_id: str
    host_name: str


@dataclasses.dataclass
class ScheduleRecord:
    """A schedule as stored: the validated request and its allocations."""

    id: str
    project_id: str
    user_id: str
    status: str
    request: dict
    allocations: list
    created_at: object
    updated_at: object
    generation: int = 1
    expires_at: object = None
    # The number of the host change that stored it, on the record a claim
    # returns (None on PostgreSQL): see ``hosts.cursor_after``.
    host_change: object = None


def changed(schedule, now, targets, request=None):
    """``schedule`` (as read) as a change at ``now`` stores it: the next
    generation, instance ``i`` on ``targets[i]`` (a ``(host_id,
    host_name)`` pair), ``request`` if given."""
    allocations = [
        Allocation(a.instance_index, *targets[a.instance_index])
        if a.instance_index in targets else a
        for a in schedule.allocations]
    return dataclasses.replace(
        schedule, generation=schedule.generation + 1, updated_at=now,
        allocations=allocations, request=request or schedule.request)


def _records(conn, schedule_rows):
    """``ScheduleRecord``s of schedule rows, allocations in one query."""
    if not schedule_rows:
        return []
    A = models.Allocation.__table__
    placed = collections.defaultdict(list)
    for schedule_id, index, host_id, name in conn.execute(
            sa.select(A.c.schedule_id, A.c.instance_index, A.c.host_id,
                      H.c.name)
            .join(H, H.c.id == A.c.host_id)
            .where(A.c.schedule_id.in_([r.id for r in schedule_rows]))
            .order_by(A.c.schedule_id, A.c.instance_index)):
        placed[schedule_id].append(Allocation(index, host_id, name))
    return [ScheduleRecord(
        id=r.id, project_id=r.project_id, user_id=r.user_id,
        status=r.status, request=r.request, allocations=placed[r.id],
        created_at=r.created_at, updated_at=r.updated_at,
        generation=r.generation, expires_at=r.expires_at)
        for r in schedule_rows]


def get(db, schedule_id, project_id=None):
    """The schedule; another project's is as good as absent."""
    S = models.Schedule.__table__
    with db.connection() as conn:
        row = conn.execute(sa.select(S).where(
            S.c.id == schedule_id)).first()
        if row is None or (project_id is not None
                           and row.project_id != project_id):
            raise exception.ScheduleNotFound(schedule_id=schedule_id)
        return _records(conn, [row])[0]


def list_schedules(db, limit, project_id=None, marker=None, status=None,
                   host_id=None, group=None):
    """A page of schedules ordered by id; ``project_id`` None is all."""
    S = models.Schedule.__table__
    A = models.Allocation.__table__
    query = sa.select(S).order_by(S.c.id).limit(limit)
    if project_id is not None:
        query = query.where(S.c.project_id == project_id)
    if status is not None:
        query = query.where(S.c.status == status)
    if group is not None:
        query = query.where(S.c.group_name == group)
    if host_id is not None:
        query = query.where(sa.exists().where(
            A.c.schedule_id == S.c.id, A.c.host_id == host_id))
    with db.connection() as conn:
        if marker is not None:
            # Another project's schedule is no marker: its existence is
            # not to leak through a 200 where an unknown id is a 400.
            owner = conn.execute(sa.select(S.c.project_id).where(
                S.c.id == marker)).scalar()
            if owner is None or (project_id is not None
                                 and owner != project_id):
                raise exception.MarkerNotFound(marker=marker)
            query = query.where(S.c.id > marker)
        return _records(conn, conn.execute(query).all())


@engine.retry_on_deadlock
def delete(db, schedule_id, project_id=None, generations=None):
    """Release every allocation of the schedule and drop it, atomically.

    ``generations`` (from ``If-Match``; None: any) makes it conditional.
    """
    S = models.Schedule.__table__
    with db.connection(writer=True) as conn:
        row = conn.execute(sa.select(
            S.c.project_id, S.c.group_name, S.c.generation).where(
            S.c.id == schedule_id).with_for_update()).first()
        if row is None or (project_id is not None
                           and row.project_id != project_id):
            raise exception.ScheduleNotFound(schedule_id=schedule_id)
        owner, group = row.project_id, row.group_name
        if group is not None:
            # NOTE: the group's row lock first, as a claim takes it, so
            # deletes and claims of one group queue: the last delete sees
            # every other one and drops the row, and a claim never bumps a
            # row that is being dropped (its swap then finds no row).
            G = models.ScheduleGroup.__table__
            conn.execute(sa.select(G.c.generation).where(
                G.c.project_id == owner, G.c.name == group
            ).with_for_update())
        check_generation(schedule_id, row.generation, generations)
        usage.release(conn, schedule_id, owner)
        conn.execute(sa.delete(S).where(S.c.id == schedule_id))
        if group is not None:
            groups.drop_group_if_empty(conn, owner, group)
        events.schedule(conn, 'schedule.deleted', schedule_id, owner)


def check_generation(schedule_id, actual, generations):
    """Raise ``ScheduleGenerationConflict`` unless ``actual`` is allowed."""
    if generations is not None and actual not in generations:
        raise exception.ScheduleGenerationConflict(
            schedule_id=schedule_id, actual=actual,
            expected=', '.join(str(g) for g in sorted(generations)))


def hosts_of(db, project_id, schedule_ids):
    """Host ids the project's schedules run on; unknown ids are an error."""
    A = models.Allocation
    S = models.Schedule
    wanted = set(schedule_ids)
    with db.connection() as conn:
        found = set(conn.scalars(sa.select(S.id).where(
            S.id.in_(wanted), S.project_id == project_id)))
        hosts = set(conn.scalars(sa.select(A.host_id).where(
            A.schedule_id.in_(found))))
    missing = wanted - found
    if missing:
        raise exception.InvalidHint(
            reason='schedules %s not found' % ', '.join(sorted(missing)))
    return hosts
