"""SQLite writers take turns (``engine._begin_immediate``): a writer waits
for the one holding the lock, up to ``[database] sqlite_busy_timeout``,
then answers that the database is unavailable (a 503)."""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from sora_api import exception
from sora_api.db import engine
from sora_api.db import models

C = models.EventCounter.__table__


def _bump(conn):
    conn.execute(sa.update(C).where(C.c.id == 1).values(seq=C.c.seq + 1))


def test_a_writer_waits_for_the_one_holding_the_lock(db, conf):
    other = engine.Database(conf)
    held, done = threading.Event(), []

    def second_writer():
        held.wait()
        with other.connection(writer=True) as conn:
            _bump(conn)
        done.append(True)

    thread = threading.Thread(target=second_writer)
    thread.start()
    with db.connection(writer=True) as conn:
        _bump(conn)
        held.set()
        # The second writer cannot have written while this one holds the
        # lock.
        thread.join(0.3)
        assert done == []
    thread.join(10)
    assert done == [True]
    with db.connection() as conn:
        assert conn.execute(sa.select(C.c.seq)).scalar() == 2
    other.engine.dispose()


def test_a_writer_gives_up_after_the_busy_timeout(db, conf):
    conf.set_override('sqlite_busy_timeout', 1, group='database')
    other = engine.Database(conf)
    with db.connection(writer=True) as conn:
        _bump(conn)
        with pytest.raises(exception.DatabaseUnavailable) as raised:
            with other.connection(writer=True) as blocked:
                _bump(blocked)
    assert isinstance(raised.value.__cause__, sa_exc.OperationalError)
    assert 'locked' in str(raised.value.__cause__)
    other.engine.dispose()
