"""Which hosts changed since a reader last looked, on PostgreSQL, by xid.

Every change to a host row stamps it with the id of the transaction that
made it (``hosts.change_xid``, set by a trigger), and every deletion leaves
a tombstone stamped the same way. A reader remembers the snapshot it read
with (``txid_current_snapshot()``: every transaction id below ``xmin`` had
ended, those in ``xip`` had not); next time it reads the rows whose stamp
that snapshot did not see as committed. A transaction that commits after a
snapshot has an id at or above the snapshot's ``xmin`` and is not visible
in it, so no change is ever missed, however long a writer holds its
transaction open, and writers share no row: claims on different hosts never
wait for one another. The snapshot, the rows and whether a host was deleted
come back in one statement (one round trip), so an idle database costs one
small query per request, as the counter did.
"""

import dataclasses

import sqlalchemy as sa

from sora_api.db import models
from sora_api.db import together

H = models.Host.__table__
_TOMBSTONES = models.HostTombstone.__table__
_IDENTITY = models.DatabaseIdentity.__table__


class _Snapshot(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self):
        return 'txid_snapshot'


_PREVIOUS = sa.cast(sa.bindparam('previous', type_=sa.Text), _Snapshot())


def _unseen(stamp):
    """Stamped by a transaction not committed in the previous snapshot.

    Such a transaction is at or above the previous snapshot's ``xmin``
    and, to be visible now, below the current one's ``xmax``.
    """
    # NOTE: the upper bound is also what keeps the plan an index range
    # scan on a table PostgreSQL has no statistics of yet (hosts just
    # registered): one open-ended inequality is guessed to match a third
    # of the rows, a range a two-hundredth.
    return sa.and_(
        stamp >= sa.func.txid_snapshot_xmin(_PREVIOUS),
        stamp < sa.func.txid_snapshot_xmax(sa.func.txid_current_snapshot()),
        sa.not_(sa.func.txid_visible_in_snapshot(stamp, _PREVIOUS)))


def _head(deleted):
    # NOTE: the hosts table's OID is part of the identity: a logical
    # restore (pg_restore, psql < dump) recreates the table, and brings back
    # rows whose stamps are older than anything a reader would ask for.
    return sa.select(
        sa.cast(sa.func.txid_current_snapshot(), sa.Text).label('snapshot'),
        sa.select(_IDENTITY.c.uuid).scalar_subquery().label('identity'),
        sa.literal_column("'hosts'::regclass::oid").label('hosts_oid'),
        deleted.label('deleted')).subquery('head')


_HEAD_ALL = _head(sa.false())
# Hosts come in the order they were created, so a host table that appends
# them keeps that order: equally weighed hosts rank oldest first.
_ALL = sa.select(_HEAD_ALL, H, sa.true().label('attrs_changed')).select_from(
    _HEAD_ALL.outerjoin(H, sa.true())).order_by(H.c.created_at, H.c.id)
_HEAD_SINCE = _head(sa.exists().where(_unseen(_TOMBSTONES.c.change_xid)))
_SINCE = sa.select(
    _HEAD_SINCE, H,
    sa.func.coalesce(_unseen(H.c.attrs_xid), False).label('attrs_changed'),
).select_from(_HEAD_SINCE.outerjoin(H, _unseen(H.c.change_xid))).order_by(
    H.c.created_at, H.c.id)
_DELETED = sa.select(_TOMBSTONES.c.host_id).where(
    _unseen(_TOMBSTONES.c.change_xid))


@dataclasses.dataclass(frozen=True)
class Cursor:
    """Where a reader is: the database it read and the snapshot it used."""

    identity: tuple
    snapshot: str


# What ``read_since`` answers when every host must be read (``read_all``):
# the cursor is from another database, or from before the transaction ids
# went back (a restored cluster).
RELOAD = object()


def read_since(conn, cursor):
    """``(rows, fresh ids, deleted ids, cursor, False)`` of the hosts
    changed after ``cursor`` (``fresh``: those whose attributes changed),
    None when none did, or ``RELOAD``.

    NOTE: it never streams, so ``conn`` may be in autocommit mode: each
    statement reads its own snapshot, as it would in a READ COMMITTED
    transaction, and a catch-up costs one round trip, not three (BEGIN
    and COMMIT around it).
    """
    rows = together.query(conn, _SINCE, {
        'previous': cursor.snapshot}).mappings().all()
    head = rows[0]
    if not _same_history(cursor, head):
        return RELOAD
    changed = [r for r in rows if r['id'] is not None]
    if not changed and not head['deleted']:
        return None
    deleted = list(conn.scalars(
        _DELETED, {'previous': cursor.snapshot})) if head['deleted'] else []
    return (changed, [r['id'] for r in changed if r['attrs_changed']],
            deleted, _cursor(head), False)


def read_all(conn):
    """``(rows, fresh ids, deleted ids, cursor, reload)`` of every host
    (all fresh, ``reload`` true); ``conn`` in a transaction."""
    # NOTE: streamed (a server-side cursor, 2,000 rows at a time): libpq
    # keeps a connection's receive buffer at the size of the largest result
    # it got, which for every host at once is 12 MB at 10k hosts.
    rows = conn.execution_options(
        stream_results=True, max_row_buffer=2000).execute(
            _ALL).mappings().all()
    changed = [r for r in rows if r['id'] is not None]
    return (changed, [r['id'] for r in changed], [], _cursor(rows[0]),
            True)


def _cursor(head):
    return Cursor((head['identity'], head['hosts_oid']), head['snapshot'])


def _same_history(cursor, head):
    """The same database, and its transaction ids did not go back."""
    if cursor.identity != (head['identity'], head['hosts_oid']):
        return False
    previous_xmin = int(cursor.snapshot.split(':')[0])
    current_xmax = int(head['snapshot'].split(':')[1])
    return current_xmax >= previous_xmin
