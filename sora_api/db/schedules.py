"""Schedules, their allocations and the atomic claim that writes them.

A claim is one transaction: a conditional ``UPDATE`` per host that adds the
usage only while it still fits (``used + asked <= total * ratio -
reserved``), the schedule row, its allocations, the group's generation
compare-and-swap and the idempotency key. Any lost race rolls the whole
transaction back, so a schedule has all its allocations or none.
"""

import collections
import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from sora_api import exception
from sora_api import timeutils
from sora_api.db import models

H = models.Host.__table__
RESOURCES = ('vcpus', 'memory_mb', 'disk_gb')
_USABLE = {
    'vcpus': H.c.vcpus * H.c.cpu_allocation_ratio - H.c.reserved_vcpus,
    'memory_mb': (H.c.memory_mb * H.c.ram_allocation_ratio
                  - H.c.reserved_memory_mb),
    'disk_gb': H.c.disk_gb * H.c.disk_allocation_ratio - H.c.reserved_disk_gb,
}


def _claim_host(session, host_id, asked, instances, now):
    """Add ``asked`` usage to one host if it still fits; False if not."""
    conditions = [H.c.id == host_id]
    values = {'instances': H.c.instances + instances,
              'generation': H.c.generation + 1, 'updated_at': now}
    for resource in RESOURCES:
        used = H.c[resource + '_used']
        if asked[resource]:
            conditions.append(used + asked[resource] <= _USABLE[resource])
        values[resource + '_used'] = used + asked[resource]
    result = session.execute(sa.update(H).where(*conditions).values(values))
    return result.rowcount == 1


def _bump_group(session, project_id, group, generation):
    """Compare-and-swap the group's generation read before scheduling."""
    table = models.ScheduleGroup.__table__
    if generation is None:
        session.execute(sa.insert(table).values(
            project_id=project_id, name=group, generation=1))
        return True
    result = session.execute(
        sa.update(table)
        .where(table.c.project_id == project_id, table.c.name == group,
               table.c.generation == generation)
        .values(generation=generation + 1))
    return result.rowcount == 1


def claim(db, project_id, user_id, request, host_ids, group=None,
          group_generation=None, idempotency=None):
    """Store a schedule whose instance ``i`` runs on ``host_ids[i]``.

    Raises ``ClaimConflict`` when a host no longer has room or the group
    changed since it was read, ``IdempotencyKeyTaken`` when a concurrent
    request stored the same key first. Either way nothing is written.
    """
    now = timeutils.utcnow()
    resources = {r: request['resources'].get(r, 0) for r in RESOURCES}
    per_host = collections.Counter(host_ids)
    schedule = models.Schedule(
        id=str(uuid.uuid4()), project_id=project_id, user_id=user_id,
        status='active', group_name=group, request=request,
        created_at=now, updated_at=now)
    try:
        with db.writer() as session:
            if group and not _bump_group(session, project_id, group,
                                         group_generation):
                raise exception.ClaimConflict(reason='group %s changed'
                                              % group)
            # Hosts in a fixed order, so concurrent claims lock rows in the
            # same order and cannot deadlock one another.
            for host_id in sorted(per_host):
                count = per_host[host_id]
                asked = {r: v * count for r, v in resources.items()}
                if not _claim_host(session, host_id, asked, count, now):
                    raise exception.ClaimConflict(
                        reason='host %s has no room left' % host_id)
            session.add(schedule)
            session.flush()
            session.execute(sa.insert(models.Allocation.__table__), [
                dict(resources, schedule_id=schedule.id, instance_index=i,
                     host_id=host_id) for i, host_id in enumerate(host_ids)])
            if idempotency:
                key, request_hash = idempotency
                session.add(models.IdempotencyKey(
                    project_id=project_id, key=key, request_hash=request_hash,
                    schedule_id=schedule.id))
                session.flush()
    except sa_exc.IntegrityError as e:
        if idempotency and 'idempotency' in str(e.orig).lower():
            raise exception.IdempotencyKeyTaken(key=idempotency[0]) from e
        raise exception.ClaimConflict(reason=str(e.orig)[:200]) from e
    return get(db, schedule.id)


def get(db, schedule_id, project_id=None):
    """The schedule; another project's is as good as absent."""
    with db.reader() as session:
        schedule = session.get(models.Schedule, schedule_id)
        if schedule is None or (project_id is not None
                                and schedule.project_id != project_id):
            raise exception.ScheduleNotFound(schedule_id=schedule_id)
        return schedule


def list_schedules(db, limit, project_id=None, marker=None, status=None,
                   host_id=None, group=None):
    """A page of schedules ordered by id; ``project_id`` None is all."""
    S = models.Schedule
    query = sa.select(S).order_by(S.id).limit(limit)
    if project_id is not None:
        query = query.where(S.project_id == project_id)
    if status is not None:
        query = query.where(S.status == status)
    if group is not None:
        query = query.where(S.group_name == group)
    if host_id is not None:
        query = query.where(sa.exists().where(
            models.Allocation.schedule_id == S.id,
            models.Allocation.host_id == host_id))
    with db.reader() as session:
        if marker is not None:
            # Another project's schedule is no marker: its existence is
            # not to leak through a 200 where an unknown id is a 400.
            row = session.get(S, marker)
            if row is None or (project_id is not None
                               and row.project_id != project_id):
                raise exception.MarkerNotFound(marker=marker)
            query = query.where(S.id > marker)
        return list(session.scalars(query))


def delete(db, schedule_id, project_id=None):
    """Release every allocation of the schedule and drop it, atomically."""
    A = models.Allocation.__table__
    S = models.Schedule.__table__
    now = timeutils.utcnow()
    with db.writer() as session:
        owner = session.execute(sa.select(S.c.project_id).where(
            S.c.id == schedule_id).with_for_update()).scalar()
        if owner is None or (project_id is not None and owner != project_id):
            raise exception.ScheduleNotFound(schedule_id=schedule_id)
        released = session.execute(
            sa.delete(A).where(A.c.schedule_id == schedule_id)
            .returning(A.c.host_id, A.c.vcpus, A.c.memory_mb, A.c.disk_gb)
        ).all()
        per_host = collections.defaultdict(lambda: [0, 0, 0, 0])
        for host_id, vcpus, memory_mb, disk_gb in released:
            totals = per_host[host_id]
            totals[0] += vcpus
            totals[1] += memory_mb
            totals[2] += disk_gb
            totals[3] += 1
        for host_id in sorted(per_host):
            vcpus, memory_mb, disk_gb, count = per_host[host_id]
            session.execute(sa.update(H).where(H.c.id == host_id).values(
                vcpus_used=H.c.vcpus_used - vcpus,
                memory_mb_used=H.c.memory_mb_used - memory_mb,
                disk_gb_used=H.c.disk_gb_used - disk_gb,
                instances=H.c.instances - count,
                generation=H.c.generation + 1, updated_at=now))
        session.execute(sa.delete(S).where(S.c.id == schedule_id))


def group_state(db, project_id, group):
    """``(generation or None, {host_id: members there})`` of a group."""
    A = models.Allocation
    S = models.Schedule
    G = models.ScheduleGroup
    with db.reader() as session:
        generation = session.execute(sa.select(G.generation).where(
            G.project_id == project_id, G.name == group)).scalar()
        rows = session.execute(
            sa.select(A.host_id, sa.func.count())
            .join(S, S.id == A.schedule_id)
            .where(S.project_id == project_id, S.group_name == group)
            .group_by(A.host_id)).all()
    return generation, {host_id: count for host_id, count in rows}


def hosts_of(db, project_id, schedule_ids):
    """Host ids the project's schedules run on; unknown ids are an error."""
    A = models.Allocation
    S = models.Schedule
    wanted = set(schedule_ids)
    with db.reader() as session:
        found = set(session.scalars(sa.select(S.id).where(
            S.id.in_(wanted), S.project_id == project_id)))
        hosts = set(session.scalars(sa.select(A.host_id).where(
            A.schedule_id.in_(found))))
    missing = wanted - found
    if missing:
        raise exception.InvalidHint(
            reason='schedules %s not found' % ', '.join(sorted(missing)))
    return hosts


def find_idempotent(db, project_id, key):
    """``(request_hash, schedule_id)`` stored for the key, or None."""
    K = models.IdempotencyKey
    with db.reader() as session:
        row = session.execute(sa.select(K.request_hash, K.schedule_id).where(
            K.project_id == project_id, K.key == key)).first()
    return tuple(row) if row else None
