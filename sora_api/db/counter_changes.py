"""Which hosts changed since a reader last looked, by the counter row.

SQLite and MySQL/MariaDB (and PostgreSQL with ``[database]
legacy_host_change_counter``): every transaction that changes hosts takes
the next ``host_changes.seq`` last, just before it commits, and stamps the
hosts with it, so the numbers follow commit order and a reader asks for the
rows stamped after the number it saw. On SQLite writers queue on the
database lock anyway, so the row costs no concurrency there.
"""

import sqlalchemy as sa

from sora_api.db import models

H = models.Host.__table__
_COUNTER = models.HostChanges.__table__
_TOMBSTONES = models.HostTombstone.__table__
_WITNESS = sa.bindparam('witness', type_=sa.String)
_HEAD = sa.select(
    _COUNTER.c.seq, _COUNTER.c.deleted_seq,
    sa.select(models.DatabaseIdentity.uuid).scalar_subquery(),
    sa.func.coalesce(
        sa.select(H.c.change_seq).where(H.c.id == _WITNESS)
        .scalar_subquery(),
        sa.select(_TOMBSTONES.c.change_seq).where(
            _TOMBSTONES.c.host_id == _WITNESS).scalar_subquery()),
).where(_COUNTER.c.id == 1)
_CHANGED = sa.select(H).where(H.c.change_seq > sa.bindparam('seq'))
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
    witness = None if cursor == -1 else cursor[2]
    current, deleted_seq, identity, witness_seq = conn.execute(
        _HEAD, {'witness': witness}).one()
    reload = (cursor == -1 or cursor[0] != identity or cursor[1] > current
              or (witness is not None
                  and (witness_seq is None or witness_seq < cursor[3])))
    seq = -1 if reload else cursor[1]
    if seq == current:
        return None
    rows = conn.execute(_CHANGED, {'seq': seq}).mappings().all()
    fresh = [r['id'] for r in rows if r['attrs_seq'] > seq]
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
