"""Counter rows (``host_changes``, ``event_counter``): numbers handed out
in commit order.

A writer takes its numbers by bumping the table's one row (``id`` 1,
``seq``); the row stays locked until the transaction ends, so numbers are
handed out in commit order. Callers take them as late as they can, to hold
that lock only briefly.
"""

import functools

import sqlalchemy as sa

from sora_api.db import compiled


@functools.cache
def _statements(table):
    """``(bump, bump returning the new value, read)`` of ``table``, built
    once, so SQLAlchemy compiles each only once."""
    bump = sa.update(table).where(table.c.id == 1).values(
        seq=table.c.seq + sa.bindparam('count'))
    read = sa.select(table.c.seq).where(table.c.id == 1)
    return bump, bump.returning(table.c.seq), read


def take(conn, table, count=1):
    """Reserve ``count`` numbers of the counter ``table``; returns the
    last one."""
    bump, bump_returning, read = _statements(table)
    if conn.dialect.update_returning:
        # One round trip to the database instead of two.
        return compiled.execute(conn, bump_returning,
                                {'count': count}).scalar_one()
    compiled.execute(conn, bump, {'count': count})
    return compiled.execute(conn, read, {}).scalar_one()
