"""Holds: confirming a held schedule and expiring the ones not confirmed.

Both are decided by one conditional ``UPDATE`` of the schedule row: confirm
moves ``held`` to ``active`` only while ``expires_at`` is still ahead, expiry
moves ``held`` to ``expired`` only once it has passed, and releases the
allocations in the same transaction. Whichever commits first wins; the other
matches no row, so a hold ends in exactly one outcome and is never released
twice, whichever worker or server runs the expiry.
"""

import datetime
import weakref

import sqlalchemy as sa

from sora_api import exception
from sora_api import metrics
from sora_api import timeutils
from sora_api.db import engine
from sora_api.db import events
from sora_api.db import models
from sora_api.db import schedules
from sora_api.db import usage

S = models.Schedule.__table__

# The holds that end first, due or not: the ones due are expired, the
# first one that is not yet tells when to look again.
_FIRST_TO_END = sa.select(S.c.id, S.c.expires_at).where(
    S.c.status == 'held').order_by(S.c.expires_at).limit(
        sa.bindparam('limit'))

# NOTE: a hold lasts at least a second (``hold_seconds`` >= 1), so one
# created after a look cannot come due within a second of it; half of
# that leaves the other half for the claim that created it to commit.
_UNSEEN_FOR = datetime.timedelta(seconds=0.5)

# Per database: until when no hold can be due that this process has not
# expired, as learnt by its last look.
_quiet_until = weakref.WeakKeyDictionary()


@engine.retry_on_deadlock
def confirm(db, schedule_id, generations=None, now=None):
    """Make a held schedule ``active`` for good; returns it.

    Raises ``HoldExpired`` when its hold has run out (it is expired on the
    spot if no worker got to it yet) and ``ScheduleStatusConflict`` when it
    is not held.
    """
    now = now or timeutils.utcnow()
    with db.connection(writer=True) as conn:
        row = _row(conn, schedule_id)
        schedules.check_generation(schedule_id, row.generation, generations)
        confirmed = conn.execute(sa.update(S).where(
            S.c.id == schedule_id, S.c.generation == row.generation,
            S.c.status == 'held', S.c.expires_at > now,
        ).values(status='active', expires_at=None,
                 generation=S.c.generation + 1, updated_at=now)).rowcount
        if confirmed:
            events.schedule(conn, 'schedule.updated', schedule_id,
                            row.project_id)
    if confirmed:
        metrics.hold('confirmed')
        return schedules.get(db, schedule_id)
    if row.status == 'held' and row.expires_at <= now:
        _expire_one(db, schedule_id, now)
    # What the row is now: a concurrent expiry or delete may have won.
    row = _row_now(db, schedule_id)
    if row.status == 'expired':
        raise exception.HoldExpired(
            schedule_id=schedule_id,
            expires_at=timeutils.isotime(row.expires_at))
    if row.status != 'held':
        raise exception.ScheduleStatusConflict(
            schedule_id=schedule_id, status=row.status, expected='held')
    # NOTE: held and not yet due, but the row changed between the read and
    # the update (a concurrent action bumped it): stale, as If-Match is.
    raise exception.ScheduleGenerationConflict(
        schedule_id=schedule_id, actual=row.generation + 1,
        expected=row.generation)


def _row(conn, schedule_id):
    row = conn.execute(sa.select(
        S.c.status, S.c.generation, S.c.expires_at, S.c.project_id
    ).where(S.c.id == schedule_id)).first()
    if row is None:
        raise exception.ScheduleNotFound(schedule_id=schedule_id)
    return row


def _row_now(db, schedule_id):
    with db.connection() as conn:
        return _row(conn, schedule_id)


def expire_due(db, limit=100, now=None):
    """Expire up to ``limit`` holds whose time has come; returns how many
    this call expired (others may be expired concurrently elsewhere).

    Every request calls this before it reads or places, so it looks in
    the database only when a hold may have come due since its last look:
    when the first hold it saw ends, or half a second later for holds
    created since.
    """
    now = now or timeutils.utcnow()
    if now < _quiet_until.get(db, datetime.datetime.min):
        return 0
    with db.connection() as conn:
        first = conn.execute(_FIRST_TO_END, {'limit': limit + 1}).all()
    due = [row.id for row in first if row.expires_at <= now][:limit]
    # NOTE: one transaction per schedule, each releasing its hosts in the
    # claim's order, so an expiry never holds many hosts' rows at once nor
    # deadlocks with claims.
    expired = sum(_expire_one(db, schedule_id, now) for schedule_id in due)
    later = [row.expires_at for row in first if row.expires_at > now]
    if later or len(first) <= limit:
        _quiet_until[db] = min(later + [now + _UNSEEN_FOR])
    return expired


@engine.retry_on_deadlock
def _expire_one(db, schedule_id, now):
    with db.connection(writer=True) as conn:
        won = conn.execute(sa.update(S).where(
            S.c.id == schedule_id, S.c.status == 'held',
            S.c.expires_at <= now,
        ).values(status='expired', generation=S.c.generation + 1,
                 updated_at=now)).rowcount
        if not won:
            return 0
        owner = conn.execute(sa.select(S.c.project_id).where(
            S.c.id == schedule_id)).scalar()
        usage.release(conn, schedule_id, owner)
        events.schedule(conn, 'schedule.expired', schedule_id, owner)
    metrics.hold('expired')
    return 1
