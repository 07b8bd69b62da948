"""Creating a schedule: the atomic claim that writes it.

A claim is one transaction: the group's generation compare-and-swap
(``groups``), the conditional ``UPDATE`` of each host and of each custom
class on it (``usage``), the schedule row, its allocations, the idempotency
key and, last, the project's usage within its quota (its rows of the
resources some limit applies to; none for a project without limits). Any
lost race rolls the whole transaction back, so a schedule has all its
allocations or none.
"""

import collections
import datetime
import json
import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from sora_api import exception
from sora_api import timeutils
from sora_api.db import compiled
from sora_api.db import engine
from sora_api.db import events
from sora_api.db import groups
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from sora_api.db import quotas
from sora_api.db import schedules
from sora_api.db import together
from sora_api.db import usage

_INSERT_SCHEDULE = sa.insert(models.Schedule.__table__)
_INSERT_ALLOCATION = sa.insert(models.Allocation.__table__)
_INSERT_CUSTOM_ALLOCATION = sa.insert(usage.CA)
_INSERT_KEY = sa.insert(models.IdempotencyKey.__table__)


def claim(db, project_id, user_id, request, hosts, group=None,
          group_generation=None, idempotency=None, group_members=None,
          quota_limits=None, group_policy=None):
    """Store a schedule whose instance ``i`` runs on ``hosts[i]``.

    ``hosts`` are ``(host_id, host_name)`` pairs; ``request['resources']``
    names the standard classes by their v1 fields. ``quota_limits`` are the
    default limits (``quotas.defaults``; None: unlimited). Raises
    ``ClaimConflict`` when a host no longer has room or the group changed
    since it was read (``group_generation`` and ``group_members``, from
    ``group_state``; the claim fixes ``group_policy`` on the group),
    ``IdempotencyKeyTaken`` when a concurrent request stored the same key
    first, ``OverQuota`` when the project has no room left. Whatever is
    raised, nothing is written. With ``hold_seconds`` in the request the
    schedule is ``held`` until that long from now.
    """
    return quotas.tracked_first(
        db, project_id, quota_limits, lambda: _claim(
            db, project_id, user_id, request, hosts, group,
            group_generation, idempotency, group_members, quota_limits,
            group_policy))


def _claim(db, project_id, user_id, request, hosts, group, group_generation,
           idempotency, group_members, quota_limits, group_policy):
    now = timeutils.utcnow()
    expires_at = None
    if request.get('hold_seconds'):
        expires_at = now + datetime.timedelta(
            seconds=request['hold_seconds'])
    resources, custom = usage.split_resources(request['resources'])
    amounts = usage.project_amounts(request['resources'], len(hosts))
    per_host = collections.Counter(host_id for host_id, _ in hosts)
    record = schedules.ScheduleRecord(
        id=str(uuid.uuid4()), project_id=project_id, user_id=user_id,
        status='held' if expires_at else 'active', request=request,
        allocations=[schedules.Allocation(i, host_id, name)
                     for i, (host_id, name) in enumerate(hosts)],
        created_at=now, updated_at=now, expires_at=expires_at)
    schedule_row = dict(
        id=record.id, project_id=project_id, user_id=user_id,
        status=record.status, group_name=group, request=request,
        generation=1, expires_at=expires_at, created_at=now, updated_at=now)
    allocation_rows = [
        dict(resources, schedule_id=record.id,
             instance_index=a.instance_index, host_id=a.host_id)
        for a in record.allocations]
    custom_rows = [
        dict(schedule_id=record.id, instance_index=a.instance_index,
             host_id=a.host_id, resource_class=name, amount=amount)
        for a in record.allocations
        for name, amount in sorted(custom.items())]
    # NOTE: a group's claim compares the members it was placed against
    # with the group's as locked, which needs a look between statements.
    one_message = db.changes_by_xid and not group
    try:
        with db.connection(writer=True, autocommit=one_message) as conn:
            if one_message:
                _send_in_one_message(
                    conn, per_host, resources, custom, now, schedule_row,
                    allocation_rows, custom_rows, idempotency,
                    (amounts, quota_limits or {}))
                return record
            if group and not groups.bump_group(
                    conn, project_id, group, group_generation,
                    group_members, group_policy):
                raise exception.ClaimConflict(reason='group %s changed'
                                              % group)
            # Hosts in a fixed order, so concurrent claims lock rows in the
            # same order and cannot deadlock one another.
            for host_id in sorted(per_host):
                usage.arrive(conn, host_id, resources, custom,
                             per_host[host_id], now)
            compiled.execute(conn, _INSERT_SCHEDULE, schedule_row)
            compiled.execute(conn, _INSERT_ALLOCATION, allocation_rows)
            if custom_rows:
                compiled.execute(conn, _INSERT_CUSTOM_ALLOCATION,
                                 custom_rows)
            if idempotency:
                _insert_key(conn, project_id, idempotency, record.id)
            # NOTE: a limited project's usage rows are shared by all of
            # its claims, which queue on them until each commits: taken
            # after every row of the claim's own, so each holds them
            # briefly.
            quotas.consume(conn, project_id, amounts, quota_limits or {})
            record.host_change = db_hosts.mark_changed(conn, per_host)
            events.schedule(conn, 'schedule.created', record.id, project_id)
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


def _send_in_one_message(conn, per_host, resources, custom, now,
                         schedule_row, allocation_rows, custom_rows,
                         idempotency, quota):
    """PostgreSQL: the claim's whole transaction as one message
    (``together``): hosts in a fixed order, the rows, the event, the
    usage rows and the key last (taken by a concurrent request, it is the
    one row a claim past its usage rows can wait for).
    ``quota``: the claim's amounts and the default limits."""
    project_id = schedule_row['project_id']
    parts = []
    for i, host_id in enumerate(sorted(per_host)):
        parts += usage.arrive_parts(host_id, resources, custom,
                                    per_host[host_id], now, 'h%d_' % i)
    parts.append(together.insert(models.Schedule.__table__, [dict(
        schedule_row, request=json.dumps(schedule_row['request']))], 's'))
    parts.append(together.insert(models.Allocation.__table__,
                                 allocation_rows, 'a'))
    if custom_rows:
        parts.append(together.insert(usage.CA, custom_rows, 'c'))
    parts.append(events.schedule_part('schedule.created', schedule_row['id'],
                                      project_id))
    parts += quotas.consume_parts(project_id, *quota)
    if idempotency:
        key, request_hash = idempotency
        parts.append(together.insert(models.IdempotencyKey.__table__, [{
            'project_id': project_id, 'key': key,
            'request_hash': request_hash,
            'schedule_id': schedule_row['id']}], 'k'))
    try:
        together.transaction(conn, parts)
    except together.Refused as e:
        if e.reason == quotas.OVER_QUOTA:
            raise quotas.Exceeded() from e
        if e.reason == quotas.UNTRACKED:
            raise quotas.Untracked() from e
        raise exception.ClaimConflict(reason=e.reason) from e
    except sa_exc.IntegrityError as e:
        if idempotency and e.orig.diag.table_name == 'idempotency_keys':
            raise exception.IdempotencyKeyTaken(key=idempotency[0]) from e
        raise


def _insert_key(conn, project_id, idempotency, schedule_id):
    """Store the Idempotency-Key; a concurrent request stored it first:
    ``IdempotencyKeyTaken`` (MySQL's message does not name the table)."""
    key, request_hash = idempotency
    try:
        compiled.execute(conn, _INSERT_KEY, dict(
            project_id=project_id, key=key, request_hash=request_hash,
            schedule_id=schedule_id))
    except sa_exc.IntegrityError as e:
        raise exception.IdempotencyKeyTaken(key=key) from e


def find_idempotent(db, project_id, key):
    """``(request_hash, schedule_id)`` stored for the key, or None."""
    K = models.IdempotencyKey
    with db.connection() as conn:
        row = conn.execute(sa.select(K.request_hash, K.schedule_id).where(
            K.project_id == project_id, K.key == key)).first()
    return tuple(row) if row else None
