"""On PostgreSQL claims share no row: one held open delays no other claim.

Host caches learn about changes from the transaction ids stamped on the
changed rows (``sora_api/db/xid_changes.py``), so a claim transaction locks
only its own hosts' rows. These tests hold a real claim open just before its
commit and check what others can do meanwhile, and that a reader misses no
change however the commits interleave.

A project without limits has no usage rows (``sora_api/db/quotas.py``), so
even two claims of one project share no row; a limited project's claims
queue on its usage rows, never on another project's.
"""

import threading
import uuid

import pytest
import sqlalchemy as sa

from sora_api import timeutils
from sora_api.db import claims as db_claims
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from tests.functional import server as sora_server
from tests.functional.held_claims import HELD
from tests.functional.held_claims import held_claim
from tests.functional.held_claims import wait_until_blocked

pytestmark = pytest.mark.skipif(
    not sora_server.postgresql_url(),
    reason='needs PostgreSQL: scripts/test.sh --with-postgresql, or set '
           'SORA_TEST_DATABASE_URL')
HELD_PROJECT = 'project-held'


def _host(srv, name):
    response = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': name, 'vcpus': 4, 'memory_mb': 4096, 'disk_gb': 10})
    assert response.status_code == 201, response.text
    return response.json()['host']


@pytest.mark.parametrize('project', [HELD_PROJECT, 'project-a'])
def test_a_claim_held_open_on_one_host_does_not_delay_one_on_another(
        start_server, project):
    """Nor one of the same project (``project-a`` is the member's)."""
    srv = start_server({'api': {'workers': 1}})
    a, b = _host(srv, 'held'), _host(srv, 'free')
    db = srv.database()
    with held_claim(db, project, a) as holder:
        response = srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}, 'hints': {'force_hosts': ['free']}},
            timeout=HELD / 2)
        assert response.status_code == 201, response.text
        assert response.json()['schedule']['allocations'][0][
            'host_id'] == b['id']
        # Answered while the other claim still had not committed.
        assert holder.is_alive()
        assert srv.usage(a['id'])['vcpus_used'] == 0
    assert srv.usage(a['id'])['vcpus_used'] == 1
    assert srv.usage(b['id'])['vcpus_used'] == 1
    usage = srv.request('GET', '/v1/usages', as_='member').json()['usage']
    assert usage['VCPU'] == (2 if project == 'project-a' else 1)
    db.engine.dispose()


def test_a_reader_sees_a_change_that_commits_after_a_later_one(
        start_server):
    srv = start_server({'api': {'workers': 1}})
    a, b = _host(srv, 'slow'), _host(srv, 'fast')
    db = srv.database()
    reader = srv.database()
    cursor = db_hosts.changes_since(reader, -1).seq
    with held_claim(db, HELD_PROJECT, a):
        # A claim that began after the held one commits first.
        db_claims.claim(reader, 'project-a', 'alice',
                           {'resources': {'vcpus': 2}}, [(b['id'], 'fast')])
        changes = db_hosts.changes_since(reader, cursor)
        assert [(r['id'], r['vcpus_used']) for r in changes.rows] == [
            (b['id'], 2)]
        cursor = changes.seq
    # The held claim, older than the one already seen, is not missed.
    changes = db_hosts.changes_since(reader, cursor)
    assert [(r['id'], r['vcpus_used']) for r in changes.rows] == [
        (a['id'], 1)]
    assert not changes.reload
    assert db_hosts.changes_since(reader, changes.seq) is None
    db.engine.dispose()
    reader.engine.dispose()


def _events(srv, since=None):
    path = '/v1/events' if since is None else '/v1/events?since=%d' % since
    response = srv.request('GET', path, as_='admin')
    assert response.status_code == 200, response.text
    return response.json()


def test_events_are_numbered_in_commit_order_and_a_held_one_delays_none(
        start_server):
    srv = start_server({'api': {'workers': 1}})
    a = _host(srv, 'held')
    db = srv.database()
    since = _events(srv)['next']
    with held_claim(db, HELD_PROJECT, a) as holder:
        # Registering writes an event too: it does not wait for the claim.
        b = _host(srv, 'later')
        page = _events(srv, since)
        assert [(e['type'], e['host_id']) for e in page['events']] == [
            ('host.created', b['id'])]
        assert page['events'][0]['id'] == since
        assert holder.is_alive()
        since = page['next']
    # The claim's event, written first but committed last, comes after.
    page = _events(srv, since)
    assert [(e['type'], e['id']) for e in page['events']] == [
        ('schedule.created', since)]
    assert _events(srv, page['next'])['events'] == []
    db.engine.dispose()


def _waiting_on_a_lock(db):
    """How many sessions of this database wait for a row lock."""
    with db.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
            "'Lock' AND datname = current_database()").scalar_one()


def test_a_claim_in_flight_sends_the_next_request_to_another_host(
        start_server):
    """A worker counts its own claims in flight: while one waits on the
    best host's row, the worker's next request goes to the next-best host
    rather than queueing behind it."""
    srv = start_server({'api': {'workers': 1}})
    best = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'best', 'vcpus': 8, 'memory_mb': 8192, 'disk_gb': 10})
    second = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'second', 'vcpus': 8, 'memory_mb': 6144, 'disk_gb': 10})
    assert best.status_code == second.status_code == 201
    best, second = best.json()['host'], second.json()['host']
    body = {'resources': {'vcpus': 1, 'memory_mb': 4096}}
    db = srv.database()
    answers = []
    with db.engine.connect() as locker:
        # The best host's row, locked as a concurrent claim would hold it.
        locker.exec_driver_sql(
            'SELECT 1 FROM hosts WHERE id = %(id)s FOR UPDATE',
            {'id': best['id']})
        first = threading.Thread(target=lambda: answers.append(srv.request(
            'POST', '/v1/schedules', as_='member', json=body,
            timeout=HELD)))
        first.start()
        for _ in range(200):
            if _waiting_on_a_lock(db):
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail('the first claim never waited on the locked row')
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json=body, timeout=HELD / 2)
        assert response.status_code == 201, response.text
        assert response.json()['schedule']['allocations'][0][
            'host_id'] == second['id']
        assert first.is_alive()
        locker.rollback()
    first.join(HELD)
    assert answers[0].status_code == 201, answers[0].text
    assert answers[0].json()['schedule']['allocations'][0][
        'host_id'] == best['id']
    assert srv.usage(best['id'])['memory_mb_used'] == 4096
    assert srv.usage(second['id'])['memory_mb_used'] == 4096
    db.engine.dispose()


def test_no_room_waits_for_the_workers_claims_in_flight_before_a_409(
        start_server):
    """The only room is held by a claim still in flight; a second request
    is not refused while that room may yet be given back. Here the first
    claim loses (a request with its Idempotency-Key and another body was
    stored meanwhile), and the second request gets the room."""
    srv = start_server({'api': {'workers': 1}})
    only = _host(srv, 'only')
    db = srv.database()
    answers = {}

    def post(name, as_, memory_mb, headers=None):
        # Bodies that differ, so the second is filtered anew (a request
        # like the last one may reuse its surviving hosts).
        answers[name] = srv.request('POST', '/v1/schedules', as_=as_, json={
            'resources': {'vcpus': 4, 'memory_mb': memory_mb}},
            headers=headers, timeout=HELD)

    now = timeutils.utcnow()
    with db.engine.connect() as taker:
        # What a concurrent request with the same key writes first.
        taker.execute(sa.insert(models.Schedule.__table__).values(
            id=str(uuid.uuid4()), project_id='project-a', user_id='alice',
            status='active', request={}, generation=1, created_at=now,
            updated_at=now))
        taker.execute(sa.insert(models.IdempotencyKey.__table__).values(
            project_id='project-a', key='k', request_hash='another body',
            schedule_id=taker.execute(sa.select(
                models.Schedule.id)).scalar_one()))
        first = threading.Thread(target=post, args=(
            'first', 'member', 0, {'Idempotency-Key': 'k'}))
        first.start()
        wait_until_blocked(db, first)
        second = threading.Thread(target=post, args=('second', 'other', 16))
        second.start()
        second.join(1.0)
        # Not refused while the claim holding the room is in flight.
        assert second.is_alive(), answers['second'].text
        taker.commit()
    first.join(HELD)
    second.join(HELD)
    sora_server.assert_error(answers['first'], 422,
                             'sora.idempotency_mismatch')
    assert answers['second'].status_code == 201, answers['second'].text
    assert answers['second'].json()['schedule']['allocations'][0][
        'host_id'] == only['id']
    assert srv.usage(only['id'])['vcpus_used'] == 4
    db.engine.dispose()
