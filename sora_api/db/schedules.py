"""Schedules, their allocations and the atomic claim that writes them.

A claim is one transaction: a conditional ``UPDATE`` per host that adds the
usage only while it still fits (``used + asked <= total * ratio -
reserved``) and one per custom class on it (an ``inventories`` row, also
within ``max_unit``), the project's usage within its quota, the schedule
row, its allocations, the group's generation compare-and-swap and the
idempotency key. Any lost race rolls the whole transaction back, so a
schedule has all its allocations or none.
"""

import collections
import dataclasses
import datetime
import functools
import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from sora_api import capacity
from sora_api import exception
from sora_api import timeutils
from sora_api.db import engine
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from sora_api.db import quotas

H = models.Host.__table__
INV = models.Inventory.__table__
CA = models.CustomAllocation.__table__
RESOURCES = ('vcpus', 'memory_mb', 'disk_gb')
_INSERT_SCHEDULE = sa.insert(models.Schedule.__table__)
_INSERT_ALLOCATION = sa.insert(models.Allocation.__table__)
_INSERT_CUSTOM_ALLOCATION = sa.insert(CA)
_INSERT_KEY = sa.insert(models.IdempotencyKey.__table__)
_USABLE = {resource: capacity.usable(*(H.c[c] for c in columns[:3]))
           for resource, columns in capacity.STANDARD_COLUMNS.items()}
_CLAIM_INVENTORY = sa.update(INV).where(
    INV.c.host_id == sa.bindparam('inventory_host'),
    INV.c.resource_class == sa.bindparam('inventory_class'),
    INV.c.used + sa.bindparam('asked') <= capacity.usable(
        INV.c.total, INV.c.allocation_ratio, INV.c.reserved),
    sa.bindparam('unit') <= INV.c.max_unit,
).values(used=INV.c.used + sa.bindparam('asked'))


@functools.cache
def _claim_statement(checked, arriving):
    """The conditional UPDATE of a claim checking the resources ``checked``
    and, when instances are ``arriving``, that the host is enabled.

    Built once per combination, with bound parameters, so SQLAlchemy
    compiles each only once.
    """
    conditions = [H.c.id == sa.bindparam('host_id')]
    if arriving:
        # The host row is what a disable updates: a claim that chose the
        # host before it was disabled and lands after finds no row, so a
        # drain that lists the host's schedules after disabling it sees
        # every instance that will ever be there.
        conditions.append(H.c.enabled == sa.true())
    values = {'instances': H.c.instances + sa.bindparam('count'),
              'generation': H.c.generation + 1,
              'updated_at': sa.bindparam('now')}
    for resource in RESOURCES:
        used = H.c[resource + '_used']
        asked = sa.bindparam('asked_' + resource)
        if resource in checked:
            conditions.append(used + asked <= _USABLE[resource])
        values[resource + '_used'] = used + asked
    return sa.update(H).where(*conditions).values(values)


def claim_host(conn, host_id, asked, instances, now):
    """Add ``asked`` usage and ``instances`` arriving to one host if it
    still fits (and, with instances arriving, is enabled); False if not."""
    checked = tuple(r for r in RESOURCES if asked[r])
    params = {'asked_' + r: asked[r] for r in RESOURCES}
    params.update(host_id=host_id, count=instances, now=now)
    result = conn.execute(_claim_statement(checked, instances > 0), params)
    return result.rowcount == 1


def claim_inventories(conn, host_id, custom, count):
    """Take ``count`` instances of ``custom`` (class -> amount each) from
    the host's inventories, in class order; False if one has no room."""
    return all(claim_inventory(conn, host_id, name, custom[name] * count,
                               custom[name])
               for name in sorted(custom))


def claim_inventory(conn, host_id, name, asked, unit):
    """Add ``asked`` of class ``name`` on the host if it fits and ``unit``
    (what one instance holds) is within ``max_unit``; False if not."""
    return conn.execute(_CLAIM_INVENTORY, {
        'inventory_host': host_id, 'inventory_class': name,
        'asked': asked, 'unit': unit}).rowcount == 1


def split_resources(resources):
    """``(standard, custom)``: the v1 fields (all three) and the custom
    classes asked (amount > 0) of a request's ``resources``."""
    standard = {r: resources.get(r, 0) for r in RESOURCES}
    custom = {c: n for c, n in resources.items()
              if n and c not in RESOURCES}
    return standard, custom


def project_amounts(resources, instances):
    """What ``instances`` instances of ``resources`` add to project usage."""
    amounts = {capacity.class_of(r): n * instances
               for r, n in resources.items() if n}
    amounts['instances'] = instances
    return amounts


def bump_group(conn, project_id, group, generation, members):
    """Compare-and-swap the group's generation read before scheduling.

    NOTE: a group's row is deleted with its last schedule, so a row made
    again later counts from 1 and could reach the generation a slow request
    read from the old row (ABA). The swap holds the row's lock, so the
    members read here are final: the claim stands only when they are the
    ``members`` (host -> count) the request was placed against.
    """
    table = models.ScheduleGroup.__table__
    if generation is None:
        conn.execute(sa.insert(table).values(
            project_id=project_id, name=group, generation=1))
        return True
    result = conn.execute(
        sa.update(table)
        .where(table.c.project_id == project_id, table.c.name == group,
               table.c.generation == generation)
        .values(generation=generation + 1))
    return (result.rowcount == 1
            and _members(conn, project_id, group) == dict(members or {}))


def _members(conn, project_id, group):
    """``{host_id: members there}`` of a group, in ``conn``'s transaction."""
    A = models.Allocation
    S = models.Schedule
    return dict(conn.execute(
        sa.select(A.host_id, sa.func.count())
        .join(S, S.id == A.schedule_id)
        .where(S.project_id == project_id, S.group_name == group)
        .group_by(A.host_id)).all())


def _drop_group_if_empty(conn, project_id, group):
    """Delete the group's row once no schedule of the group is left."""
    S = models.Schedule.__table__
    G = models.ScheduleGroup.__table__
    conn.execute(sa.delete(G).where(
        G.c.project_id == project_id, G.c.name == group,
        ~sa.exists().where(S.c.project_id == project_id,
                           S.c.group_name == group)))


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


def claim(db, project_id, user_id, request, hosts, group=None,
          group_generation=None, idempotency=None, group_members=None,
          quota_limits=None):
    """Store a schedule whose instance ``i`` runs on ``hosts[i]``.

    ``hosts`` are ``(host_id, host_name)`` pairs; ``request['resources']``
    names the standard classes by their v1 fields. ``quota_limits`` are the
    default limits (``quotas.defaults``; None: unlimited). Raises
    ``ClaimConflict`` when a host no longer has room or the group changed
    since it was read (``group_generation`` and ``group_members``, from
    ``group_state``), ``IdempotencyKeyTaken`` when a concurrent request
    stored the same key first, ``OverQuota`` when the project has no room
    left. Whatever is raised, nothing is written. With ``hold_seconds`` in
    the request the schedule is ``held`` until that long from now.
    """
    now = timeutils.utcnow()
    expires_at = None
    if request.get('hold_seconds'):
        expires_at = now + datetime.timedelta(
            seconds=request['hold_seconds'])
    resources, custom = split_resources(request['resources'])
    amounts = project_amounts(request['resources'], len(hosts))
    per_host = collections.Counter(host_id for host_id, _ in hosts)
    record = ScheduleRecord(
        id=str(uuid.uuid4()), project_id=project_id, user_id=user_id,
        status='held' if expires_at else 'active', request=request,
        allocations=[Allocation(i, host_id, name)
                     for i, (host_id, name) in enumerate(hosts)],
        created_at=now, updated_at=now, expires_at=expires_at)
    try:
        with db.connection(writer=True) as conn:
            if group and not bump_group(conn, project_id, group,
                                        group_generation, group_members):
                raise exception.ClaimConflict(reason='group %s changed'
                                              % group)
            # Hosts in a fixed order, so concurrent claims lock rows in the
            # same order and cannot deadlock one another.
            for host_id in sorted(per_host):
                count = per_host[host_id]
                asked = {r: v * count for r, v in resources.items()}
                if not (claim_host(conn, host_id, asked, count, now)
                        and claim_inventories(conn, host_id, custom,
                                               count)):
                    raise exception.ClaimConflict(
                        reason='host %s has no room left' % host_id)
            quotas.consume(conn, project_id, amounts, quota_limits or {})
            conn.execute(_INSERT_SCHEDULE, dict(
                id=record.id, project_id=project_id, user_id=user_id,
                status=record.status, group_name=group, request=request,
                generation=1, expires_at=expires_at,
                created_at=now, updated_at=now))
            conn.execute(_INSERT_ALLOCATION, [
                dict(resources, schedule_id=record.id,
                     instance_index=a.instance_index, host_id=a.host_id)
                for a in record.allocations])
            if custom:
                conn.execute(_INSERT_CUSTOM_ALLOCATION, [
                    dict(schedule_id=record.id,
                         instance_index=a.instance_index, host_id=a.host_id,
                         resource_class=name, amount=amount)
                    for a in record.allocations
                    for name, amount in sorted(custom.items())])
            if idempotency:
                _insert_key(conn, project_id, idempotency, record.id)
            db_hosts.mark_changed(conn, per_host)
    except quotas.Exceeded:
        quotas.explain(db, project_id, amounts, quota_limits or {})
    except sa_exc.IntegrityError as e:
        raise exception.ClaimConflict(reason=str(e.orig)[:200]) from e
    except sa_exc.OperationalError as e:
        if not engine.is_deadlock(e):
            raise
        # The database ended this claim so another could go on: a lost race.
        raise exception.ClaimConflict(reason=str(e.orig)[:200]) from e
    return record


def _insert_key(conn, project_id, idempotency, schedule_id):
    """Store the Idempotency-Key; a concurrent request stored it first:
    ``IdempotencyKeyTaken`` (MySQL's message does not name the table)."""
    key, request_hash = idempotency
    try:
        conn.execute(_INSERT_KEY, dict(
            project_id=project_id, key=key, request_hash=request_hash,
            schedule_id=schedule_id))
    except sa_exc.IntegrityError as e:
        raise exception.IdempotencyKeyTaken(key=key) from e


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
        release(conn, schedule_id, owner)
        conn.execute(sa.delete(S).where(S.c.id == schedule_id))
        if group is not None:
            _drop_group_if_empty(conn, owner, group)


def check_generation(schedule_id, actual, generations):
    """Raise ``ScheduleGenerationConflict`` unless ``actual`` is allowed."""
    if generations is not None and actual not in generations:
        raise exception.ScheduleGenerationConflict(
            schedule_id=schedule_id, actual=actual,
            expected=', '.join(str(g) for g in sorted(generations)))


def release(conn, schedule_id, project_id):
    """Drop the schedule's allocations and give hosts, inventories and the
    project's usage back what they held, in ``conn``'s transaction."""
    A = models.Allocation.__table__
    now = timeutils.utcnow()
    released = conn.execute(
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
        release_host(conn, host_id, {'vcpus': vcpus, 'memory_mb': memory_mb,
                                     'disk_gb': disk_gb}, count, now)
    amounts = collections.Counter()
    for vcpus, memory_mb, disk_gb, count in per_host.values():
        amounts.update(VCPU=vcpus, MEMORY_MB=memory_mb, DISK_GB=disk_gb,
                       instances=count)
    amounts.update(_release_custom(conn, schedule_id))
    quotas.release(conn, project_id, amounts)
    if per_host:
        db_hosts.mark_changed(conn, per_host)


def _release_custom(conn, schedule_id):
    """Give a schedule's custom-class amounts back to the inventories;
    returns ``{class: amount}`` released."""
    released = collections.Counter()
    per_inventory = collections.Counter()
    for host_id, name, amount in conn.execute(
            sa.delete(CA).where(CA.c.schedule_id == schedule_id)
            .returning(CA.c.host_id, CA.c.resource_class, CA.c.amount)):
        per_inventory[host_id, name] += amount
        released[name] += amount
    for (host_id, name), amount in sorted(per_inventory.items()):
        release_inventory(conn, host_id, name, amount)
    return released


def release_host(conn, host_id, freed, instances, now):
    """Take ``freed`` (v1 field -> amount) and ``instances`` off a host."""
    conn.execute(sa.update(H).where(H.c.id == host_id).values(
        vcpus_used=H.c.vcpus_used - freed['vcpus'],
        memory_mb_used=H.c.memory_mb_used - freed['memory_mb'],
        disk_gb_used=H.c.disk_gb_used - freed['disk_gb'],
        instances=H.c.instances - instances,
        generation=H.c.generation + 1, updated_at=now))


def release_inventory(conn, host_id, name, amount):
    """Give ``amount`` of custom class ``name`` back to a host."""
    conn.execute(sa.update(INV).where(
        INV.c.host_id == host_id, INV.c.resource_class == name
    ).values(used=INV.c.used - amount))


def group_state(db, project_id, group):
    """``(generation or None, {host_id: members there})`` of a group."""
    G = models.ScheduleGroup
    with db.connection() as conn:
        generation = conn.execute(sa.select(G.generation).where(
            G.project_id == project_id, G.name == group)).scalar()
        return generation, _members(conn, project_id, group)


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


def find_idempotent(db, project_id, key):
    """``(request_hash, schedule_id)`` stored for the key, or None."""
    K = models.IdempotencyKey
    with db.connection() as conn:
        row = conn.execute(sa.select(K.request_hash, K.schedule_id).where(
            K.project_id == project_id, K.key == key)).first()
    return tuple(row) if row else None
