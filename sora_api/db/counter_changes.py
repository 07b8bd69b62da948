"""Which hosts changed since a reader last looked, by the counter row.

SQLite and MySQL/MariaDB (and PostgreSQL with ``[database]
legacy_host_change_counter``): every transaction that changes hosts takes
the next ``host_changes.seq`` last, just before it commits, and stamps the
hosts with it, so the numbers follow commit order and a reader asks for the
rows stamped after the number it saw. On SQLite writers queue on the
database lock anyway, so the row costs no concurrency there.
"""

import sqlalchemy as sa

from sora_api.db import compiled
from sora_api.db import models

H = models.Host.__table__
_COUNTER = models.HostChanges.__table__
_TOMBSTONES = models.HostTombstone.__table__
_WITNESS = sa.bindparam('witness', type_=sa.String)
_HEAD = sa.select(
    _COUNTER.c.seq.label('head_seq'),
    _COUNTER.c.deleted_seq.label('head_deleted_seq'),
    sa.select(models.DatabaseIdentity.uuid).scalar_subquery().label(
        'head_identity'),
    sa.func.coalesce(
        sa.select(H.c.change_seq).where(H.c.id == _WITNESS)
        .scalar_subquery(),
        sa.select(_TOMBSTONES.c.change_seq).where(
            _TOMBSTONES.c.host_id == _WITNESS).scalar_subquery(),
    ).label('head_witness_seq'),
).where(_COUNTER.c.id == 1).subquery('head')
# NOTE: the head and the hosts changed after the reader's number in one
# statement (a row of NULL hosts when none did): the usual catch-up, one
# round trip. The head tells whether that number still holds; when it
# does not, every host is read (``_ALL``).
# Hosts come in the order they were created, so a host table that appends
# them keeps that order: equally weighed hosts rank oldest first.
_SINCE = sa.select(_HEAD, H).select_from(
    _HEAD.outerjoin(H, H.c.change_seq > sa.bindparam('seq'))).order_by(
        H.c.created_at, H.c.id)
_ALL = sa.select(_HEAD, H).select_from(
    _HEAD.outerjoin(H, sa.true())).order_by(H.c.created_at, H.c.id)
_DELETED = sa.select(models.HostTombstone.host_id).where(
    models.HostTombstone.change_seq > sa.bindparam('seq'))


def read(conn, cursor):
    """``(rows, fresh ids, deleted ids, cursor, reload)`` or None.

    The cursor is ``(identity, counter, witness, its number)``: the
    database's identity, the counter's value, and the newest host change
    seen. Another identity, a counter below the cursor's, or a witness whose
    change is gone (a backup from before it was restored, even one whose
    counter has since passed the cursor's again) reads every host again,
    with ``reload`` true.
    """
    if cursor == -1:
        rows = conn.execute(_ALL, {'witness': None}).mappings().all()
    else:
        # NOTE: the usual catch-up, a few rows, on the driver's cursor;
        # every host (``_ALL``) in SQLAlchemy's rows, which hold 100k
        # hosts in less memory than dicts.
        rows = compiled.mappings(conn, _SINCE, {'witness': cursor[2],
                                                'seq': cursor[1]})
    head = rows[0]
    current, identity = head['head_seq'], head['head_identity']
    witness = None if cursor == -1 else cursor[2]
    witness_seq = head['head_witness_seq']
    reload = (cursor == -1 or cursor[0] != identity or cursor[1] > current
              or (witness is not None
                  and (witness_seq is None or witness_seq < cursor[3])))
    if reload and cursor != -1:
        rows = conn.execute(_ALL, {'witness': None}).mappings().all()
    seq = -1 if reload else cursor[1]
    if seq == current:
        return None
    rows = [r for r in rows if r['id'] is not None]
    fresh = [r['id'] for r in rows if r['attrs_seq'] > seq]
    deleted_seq = head['head_deleted_seq']
    deleted = [] if seq < 0 or deleted_seq <= seq else list(
        conn.scalars(_DELETED, {'seq': seq}))
    newest = max(rows, key=lambda r: r['change_seq'], default=None)
    if newest is not None:
        witness, witness_seq = newest['id'], newest['change_seq']
    elif reload:
        witness, witness_seq = None, None
    else:
        witness_seq = cursor[3]
    seq = max([current] + [r['change_seq'] for r in rows])
    return rows, fresh, deleted, (identity, seq, witness, witness_seq), reload


def cursor_after(cursor, number, host_id):
    """The cursor once the change ``number`` (of ``host_id``, among
    others) is read, if it is the one change after ``cursor``; else
    None."""
    if cursor == -1 or cursor[1] != number - 1:
        return None
    return cursor[0], number, host_id, number
