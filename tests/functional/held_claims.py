"""A real claim held open just before its COMMIT, every row written.

On PostgreSQL a claim without a group travels as one message, ``BEGIN``
to ``COMMIT`` (``sora_api/db/together.py``): nothing of the worker runs
between its statements. There it is held where the database itself would
hold it: its Idempotency-Key, the last row it writes, is taken by a
transaction of the test that has not ended, and the claim waits for that
one's end. Elsewhere it is held in SQLAlchemy's ``commit`` event.
"""

import contextlib
import threading
import uuid

import sqlalchemy as sa
from sqlalchemy import event

from sora_api import timeutils
from sora_api.db import claims as db_claims
from sora_api.db import models
from tests import databases

HELD = 60  # seconds a claim may be held open at most, should a test fail
# How each server database shows its sessions waiting for a lock.
_LOCK_WAITS = {
    'postgresql': "SELECT count(*) FROM pg_stat_activity WHERE "
                  "wait_event_type = 'Lock' AND datname = current_database()",
    'mysql': "SELECT count(*) FROM information_schema.innodb_trx "
             "WHERE trx_state = 'LOCK WAIT'",
}
_KEY = ('held-claim', 'held-claim')


def lock_waiters(db):
    """How many sessions of ``db`` wait for a lock; None on SQLite, which
    does not show them."""
    query = _LOCK_WAITS.get(databases.backend(str(db.url)))
    if query is None:
        return None
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(query).scalar_one()


def wait_until_blocked(db, thread, waiting=0):
    """Until more than ``waiting`` sessions of ``db`` wait for a lock
    (SQLite: a second); ``thread`` must still be running then."""
    for _ in range(200):
        found = lock_waiters(db)
        thread.join(0.05 if found is not None else 1.0)
        if found is None or found > waiting:
            break
    assert thread.is_alive(), 'nothing waited for the claim in flight'


@contextlib.contextmanager
def held_claim(db, project, host):
    """A real claim of one vCPU for ``project`` on ``host``, held open just
    before its COMMIT; commits when the block ends. Yields the thread
    making it, to check it is still waiting."""
    result = {}

    def claim(**kwargs):
        result['schedule'] = db_claims.claim(
            db, project, 'holder', {'resources': {'vcpus': 1}},
            [(host['id'], host['name'])], **kwargs)

    hold = _key_taken if db.changes_by_xid else _in_commit_event
    with hold(db, project, claim) as thread:
        yield thread
    assert result['schedule'].allocations[0].host_id == host['id']


@contextlib.contextmanager
def _key_taken(db, project, claim):
    now = timeutils.utcnow()
    schedule_id = str(uuid.uuid4())
    with db.engine.connect() as taker:
        taker.execute(sa.insert(models.Schedule.__table__).values(
            id=schedule_id, project_id=project, user_id='taker',
            status='active', request={}, generation=1, created_at=now,
            updated_at=now))
        taker.execute(sa.insert(models.IdempotencyKey.__table__).values(
            project_id=project, key=_KEY[0], request_hash=_KEY[1],
            schedule_id=schedule_id))
        thread = threading.Thread(target=claim,
                                  kwargs={'idempotency': _KEY})
        thread.start()
        try:
            wait_until_blocked(db, thread)
            yield thread
        finally:
            taker.rollback()
            thread.join(HELD)


@contextlib.contextmanager
def _in_commit_event(db, project, claim):
    reached, release = threading.Event(), threading.Event()

    def hold(conn):
        reached.set()
        release.wait(HELD)

    event.listen(db.engine, 'commit', hold, once=True)
    thread = threading.Thread(target=claim)
    thread.start()
    try:
        assert reached.wait(HELD), 'the held claim never reached its commit'
        yield thread
    finally:
        release.set()
        thread.join(HELD)
