"""The event feed of one process (``sora_api.feed``) on a real SQLite file."""

import concurrent.futures
import datetime
import time

import pytest
import sqlalchemy as sa

from sora_api import feed as sora_feed
from sora_api.db import engine
from sora_api.db import events as db_events
from sora_api.db import hosts as db_hosts
from sora_api.db import migration
from sora_api.db import models

HOST = {'availability_zone': 'nova', 'enabled': True, 'vcpus': 8,
        'memory_mb': 8192, 'disk_gb': 100, 'cpu_allocation_ratio': 1.0,
        'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0}


@pytest.fixture
def db(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    database = engine.Database(conf)
    migration.upgrade(database.engine)
    yield database
    database.engine.dispose()


@pytest.fixture
def feed(conf, db):
    return sora_feed.Feed(conf, db)


def _age(db, event_ids, seconds):
    """Make events look ``seconds`` old."""
    E = models.Event.__table__
    with db.connection(writer=True) as conn:
        conn.execute(sa.update(E).where(E.c.id.in_(event_ids)).values(
            time=E.c.time - datetime.timedelta(seconds=seconds)))


def test_events_past_the_retention_are_pruned_and_reported_truncated(
        conf, db, feed):
    for name in ('a', 'b', 'c'):
        db_hosts.create(db, dict(HOST, name=name))
    _age(db, [1, 2], conf.events.retention_seconds + 1)

    page = feed.read(since=1, limit=10, wait=0)

    assert [e['id'] for e in page.events] == [3]
    assert page.truncated and page.next == 4
    # Without since: from the oldest kept, nothing lost to the caller.
    fresh = feed.read(since=None, limit=10, wait=0)
    assert [e['id'] for e in fresh.events] == [3] and not fresh.truncated
    assert not feed.read(since=3, limit=10, wait=0).truncated


def test_a_host_that_stopped_beating_is_noted_down_once(conf, db):
    host = db_hosts.create(db, dict(HOST, name='quiet'))
    db_hosts.heartbeat(db, host.id)
    H = models.Host.__table__
    with db.connection(writer=True) as conn:
        conn.execute(sa.update(H).values(
            last_heartbeat=H.c.last_heartbeat - datetime.timedelta(hours=1)))

    assert db_events.note_down_hosts(db, 60) == [host.id]
    assert db_events.note_down_hosts(db, 60) == []
    db_hosts.heartbeat(db, host.id)
    db_hosts.heartbeat(db, host.id)

    types = [e['type'] for e in db_events.read(db, 0, 10)]
    assert types == ['host.created', 'host.down', 'host.up']


def test_a_limit_of_zero_answers_no_events_and_keeps_since(db, feed):
    db_hosts.create(db, dict(HOST, name='x'))
    page = feed.read(since=1, limit=0, wait=0)
    assert page.events == [] and page.next == 1


def test_waiters_read_new_events_from_the_tail_as_the_database_has_them(
        conf, db, feed):
    feed.read(since=None, limit=10, wait=0)
    for name in ('t1', 't2', 't3'):
        db_hosts.create(db, dict(HOST, name=name))
    page = feed.read(since=1, limit=2, wait=0)
    assert feed._tail.covers(1)
    assert [dict(e) for e in page.events] == [
        dict(e) for e in db_events.read(db, 1, 2)]
    assert page.next == 3
    assert feed.read(since=1, limit=10, wait=0, project_id='p').events == []


def _write_schedule_event(db, project_id):
    with db.connection(writer=True) as conn:
        db_events.schedule(conn, 'schedule.created', 'sid-' + project_id,
                           project_id)


def test_an_event_wakes_only_the_waiters_who_may_see_it(db, feed):
    since = feed.read(since=None, limit=10, wait=0).next
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        # The first to wait ticks; the others are filed by project.
        ticker = pool.submit(feed.read, since, 10, 30, 'admin-ticks')
        _wait_until(lambda: feed._ticker)
        mine = pool.submit(feed.read, since, 10, 30, 'q')
        theirs = pool.submit(feed.read, since, 10, 30, 'p')
        _wait_until(lambda: set(feed._waiting) == {'q', 'p'})

        _write_schedule_event(db, 'q')

        assert [e['project_id'] for e in mine.result(timeout=10).events] \
            == ['q']
        # Project p's waiter was never woken: still filed, its event unset.
        assert not theirs.done()
        assert [w.is_set() for w in feed._waiting['p']] == [False]
        feed.stop()
        assert theirs.result(timeout=10).events == []
        assert ticker.result(timeout=10).events == []


def _wait_until(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def _count_database_reads(monkeypatch):
    """The database reads of callers' events (not the tail's own)."""
    calls = []
    real = db_events.read

    def read(db, since, limit, project_id=None):
        if project_id is not None:
            calls.append((since, limit, project_id))
        return real(db, since, limit, project_id)

    monkeypatch.setattr(db_events, 'read', read)
    return calls


def test_a_member_behind_the_tail_searches_the_database_once(
        db, feed, monkeypatch):
    for name in ('h1', 'h2', 'h3'):
        db_hosts.create(db, dict(HOST, name=name))
    feed.read(since=None, limit=10, wait=0)  # the tail starts after 3
    reads = _count_database_reads(monkeypatch)

    # Nothing for project p: its since stays 1, poll after poll.
    for _ in range(3):
        assert feed.read(since=1, limit=10, wait=0, project_id='p').next == 1
    assert reads == [(1, 10, 'p')]

    _write_schedule_event(db, 'p')
    page = feed.read(since=1, limit=10, wait=0, project_id='p')
    assert [(e['id'], e['project_id']) for e in page.events] == [(4, 'p')]
    assert len(reads) == 1


def test_what_leaves_the_tail_is_searched_again_for_its_project(
        db, feed, monkeypatch):
    monkeypatch.setattr(sora_feed, '_TAIL_SIZE', 2)
    db_hosts.create(db, dict(HOST, name='h1'))
    feed.read(since=None, limit=10, wait=0)
    assert feed.read(since=1, limit=10, wait=0, project_id='p').events == []
    assert feed.read(since=1, limit=10, wait=0, project_id='q').events == []
    reads = _count_database_reads(monkeypatch)

    # Event 2 (p's) leaves the tail of two when 3 and 4 arrive.
    for project in ('p', 'q', 'q'):
        _write_schedule_event(db, project)
        feed.read(since=None, limit=10, wait=0)
    assert feed._tail.start == 2

    page = feed.read(since=1, limit=10, wait=0, project_id='p')
    assert [e['id'] for e in page.events] == [2]
    assert reads == [(1, 10, 'p')]
    assert feed.read(since=3, limit=10, wait=0, project_id='p').events == []
    page = feed.read(since=1, limit=10, wait=0, project_id='q')
    assert [e['id'] for e in page.events] == [3, 4]
    assert len(reads) == 1  # q's quiet start still holds: the tail answers


def test_a_long_poll_gets_an_event_written_just_before_it(conf, db, feed):
    since = feed.read(since=None, limit=10, wait=0).next
    _write_schedule_event(db, 'p')
    started = time.monotonic()
    page = feed.read(since=since, limit=10, wait=5, project_id='p')
    assert [e['project_id'] for e in page.events] == ['p']
    assert time.monotonic() - started < 2 * conf.events.poll_interval + 1
