"""The change feed's rows: written inside the change's transaction, read back.

Every write function takes the caller's open connection, so an event commits
or rolls back with the change it describes. Event numbers (the public ``id``)
are handed out in commit order, so a reader that sees event N has seen every
event below N:

- on SQLite and MariaDB the writer takes them from the one-row
  ``event_counter``, last in its transaction: the row stays locked until
  commit. SQLite serialises writers anyway; on MariaDB every writer already
  queues on the host-change counter row, so this one adds no wait.
- on PostgreSQL writers share no row (a claim held open on one host must not
  delay one on another): they insert their events unnumbered (``id`` NULL,
  only the surrogate ``pk`` from a sequence). The reader numbers them before
  it reads: under an advisory lock, in one statement that sees only
  committed rows, it gives every unnumbered event the next numbers, in
  ``pk`` order. Every number goes to a committed event and numbers only
  grow, so nothing is skipped or seen twice.
"""

import datetime

import sqlalchemy as sa

from sora_api import liveness
from sora_api import timeutils
from sora_api.db import compiled
from sora_api.db import counters
from sora_api.db import models
from sora_api.db import together

E = models.Event.__table__
C = models.EventCounter.__table__
H = models.Host.__table__

_INSERT = sa.insert(E)
_CURRENT = sa.select(C.c.seq, C.c.pruned_seq).where(C.c.id == 1)
_UNNUMBERED = sa.exists().where(E.c.id.is_(None))
_CURRENT_PG = sa.select(C.c.seq, C.c.pruned_seq,
                        _UNNUMBERED.label('unnumbered')).where(C.c.id == 1)

# Any constant: the one lock PostgreSQL readers number events under.
_NUMBERING_LOCK = 0x736f72615f657673
# One statement, so one snapshot: the events it numbers are exactly those
# it counts into the counter.
_NUMBER = sa.text("""
WITH pending AS (
    SELECT pk, row_number() OVER (ORDER BY pk) AS n
    FROM events WHERE id IS NULL),
bump AS (
    UPDATE event_counter SET seq = seq + (SELECT count(*) FROM pending)
    WHERE id = 1
    RETURNING seq - (SELECT count(*) FROM pending) AS base)
UPDATE events SET id = bump.base + pending.n
FROM pending, bump WHERE events.pk = pending.pk
""")


def _by_reader(conn):
    """True where the reader numbers events (PostgreSQL)."""
    return conn.dialect.name == 'postgresql'


def _take(conn, count):
    """Reserve ``count`` event numbers; returns the first."""
    return counters.take(conn, C, count) - count + 1


def _write(conn, type_, rows):
    if not rows:
        return
    now = timeutils.utcnow()
    if _by_reader(conn):
        conn.execute(_INSERT, _unnumbered(type_, rows, now))
        return
    first = _take(conn, len(rows))
    compiled.execute(conn, _INSERT, [
        dict(row, id=first + i, time=now, type=type_)
        for i, row in enumerate(rows)])


def hosts(conn, type_, host_ids):
    """``host.created|updated|deleted`` of ``host_ids``."""
    _write(conn, type_, [{'host_id': h} for h in host_ids])


def schedule(conn, type_, schedule_id, project_id):
    """``schedule.created|updated|deleted|expired`` of one schedule: last in
    the change's transaction (on SQLite and MariaDB it locks the counter
    row until commit)."""
    _write(conn, type_, [{'schedule_id': schedule_id,
                          'project_id': project_id}])


def _unnumbered(type_, rows, now):
    """Rows of events the reader numbers (PostgreSQL)."""
    return [dict(row, time=now, type=type_) for row in rows]


def schedule_part(type_, schedule_id, project_id):
    """PostgreSQL: ``schedule``'s ``INSERT`` as a part for
    ``together.run``, sent with the claim's other statements."""
    return together.insert(E, _unnumbered(type_, [{
        'schedule_id': schedule_id, 'project_id': project_id}],
        timeutils.utcnow()), 'e')


def heartbeat(conn, host_id):
    """``host.up`` if the host was noted down: once, whoever beats first."""
    result = conn.execute(sa.update(H).where(
        H.c.id == host_id, H.c.seen_down.is_(True)).values(seen_down=False))
    if result.rowcount:
        hosts(conn, 'host.up', [host_id])


def note_down_hosts(db, service_down_time):
    """Write ``host.down`` for hosts whose heartbeats stopped; the ids.

    A cheap read first; only when a host crossed the line does a writer
    transaction flip its ``seen_down`` with a conditional UPDATE, so of many
    workers and servers noticing at once exactly one writes the event.
    """
    cutoff = liveness.down_cutoff(timeutils.utcnow(), service_down_time)
    late = sa.and_(H.c.seen_down.is_(False), H.c.last_heartbeat.is_not(None),
                   H.c.last_heartbeat < cutoff)
    with db.connection() as conn:
        candidates = list(conn.scalars(sa.select(H.c.id).where(late)))
    if not candidates:
        return []
    noted = []
    with db.connection(writer=True) as conn:
        for host_id in sorted(candidates):
            result = conn.execute(sa.update(H).where(
                H.c.id == host_id, late).values(seen_down=True))
            if result.rowcount:
                noted.append(host_id)
        hosts(conn, 'host.down', noted)
    return noted


def prune(db, retention_seconds):
    """Delete events older than the retention; remember the newest deleted."""
    cutoff = timeutils.utcnow() - datetime.timedelta(
        seconds=retention_seconds)
    with db.connection() as conn:
        newest = conn.execute(sa.select(sa.func.max(E.c.id)).where(
            E.c.time < cutoff)).scalar()
    if newest is None:
        return
    with db.connection(writer=True) as conn:
        conn.execute(sa.delete(E).where(E.c.id <= newest))
        conn.execute(sa.update(C).where(
            C.c.id == 1, C.c.pruned_seq < newest).values(pruned_seq=newest))


def _number(db):
    """PostgreSQL: number the committed events that have no number yet."""
    with db.connection(writer=True) as conn:
        # NOTE: under READ COMMITTED each statement sees what committed
        # before it began: after the lock, every earlier numbering too.
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(
            _NUMBERING_LOCK)))
        conn.execute(_NUMBER)


def counter(db):
    """``(newest event number, newest pruned number)``.

    On PostgreSQL, every event committed before the call is numbered first.
    """
    with db.connection() as conn:
        if not _by_reader(conn):
            return tuple(conn.execute(_CURRENT).one())
        seq, pruned, unnumbered = conn.execute(_CURRENT_PG).one()
    if not unnumbered:
        return seq, pruned
    _number(db)
    with db.connection() as conn:
        return tuple(conn.execute(_CURRENT).one())


def read(db, since, limit, project_id=None):
    """Up to ``limit`` events numbered ``since`` or more, oldest first.

    ``project_id`` (not None) keeps only that project's schedule events.
    """
    query = sa.select(E).where(E.c.id >= since).order_by(E.c.id).limit(limit)
    if project_id is not None:
        query = query.where(E.c.project_id == project_id)
    if db.is_postgresql:
        with db.connection() as conn:
            unnumbered = conn.execute(sa.select(_UNNUMBERED)).scalar()
        if unnumbered:
            _number(db)
    with db.connection() as conn:
        return conn.execute(query).mappings().all()
