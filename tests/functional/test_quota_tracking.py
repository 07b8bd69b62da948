"""Usage rows only where a limit applies, and limits set mid-flight.

A project without limits has no usage rows, so its claims share none
(``sora_api/db/quotas.py``). A limit set (or a default met for the first
time) while claims are in flight starts its row under a barrier that waits
for them: these tests hold a real claim open just before its commit, set a
limit meanwhile, and race claims, releases and limit changes, then check
every row against the allocations. They run on the run's database: SQLite,
PostgreSQL or MariaDB.
"""

import concurrent.futures
import threading

import pytest
import sqlalchemy as sa

from sora_api.db import models
from tests.functional import held_claims
from tests.functional import invariants
from tests.functional import server as sora_server
from tests.functional.held_claims import HELD


def _host(srv, name):
    response = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': name, 'vcpus': 64, 'memory_mb': 65536, 'disk_gb': 100})
    assert response.status_code == 201, response.text
    return response.json()['host']


def _rows(db):
    with db.engine.connect() as conn:
        return {(p, r): n for p, r, n in conn.execute(sa.select(
            models.ProjectUsage.__table__))}


def test_a_project_without_limits_has_no_usage_rows(start_server):
    srv = start_server()
    _host(srv, 'h1')
    response = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 2, 'memory_mb': 512}, 'num_instances': 2})
    assert response.status_code == 201, response.text
    db = srv.database()
    try:
        assert _rows(db) == {}
        usage = srv.request('GET', '/v1/usages', as_='member').json()
        assert usage['usage'] == {'project_id': 'project-a', 'instances': 2,
                                  'VCPU': 4, 'MEMORY_MB': 1024, 'DISK_GB': 0}
        # A limit starts a row at what is held; removing it drops the row.
        assert srv.request('PUT', '/v1/quotas/project-a', as_='admin', json={
            'limits': {'VCPU': 5}}).status_code == 200
        assert _rows(db) == {('project-a', 'VCPU'): 4}
        assert srv.request('DELETE', '/v1/quotas/project-a',
                           as_='admin').status_code == 204
        assert _rows(db) == {}
    finally:
        db.engine.dispose()


def test_a_limit_set_while_a_claim_is_in_flight_counts_it(start_server):
    srv = start_server({'api': {'workers': 1}})
    host = _host(srv, 'h1')
    db = srv.database()
    answers = []
    try:
        with held_claims.held_claim(db, 'project-a', host):
            waiting = held_claims.lock_waiters(db)
            setter = threading.Thread(target=lambda: answers.append(
                srv.request('PUT', '/v1/quotas/project-a', as_='admin',
                            json={'limits': {'VCPU': 3}}, timeout=HELD)))
            setter.start()
            held_claims.wait_until_blocked(db, setter, waiting or 0)
        setter.join(HELD)
        assert answers[0].status_code == 200, answers[0].text
        assert answers[0].json()['quota']['usage']['VCPU'] == 1
        assert _rows(db) == {('project-a', 'VCPU'): 1}
        # The limit holds from the claim on: 1 + 2 fit, 1 more does not.
        body = {'resources': {'vcpus': 1}, 'num_instances': 2}
        assert srv.request('POST', '/v1/schedules', as_='member',
                           json=body).status_code == 201
        refused = srv.request('POST', '/v1/schedules', as_='member',
                              json={'resources': {'vcpus': 1}})
        assert refused.status_code == 403, refused.text
        invariants.check(db)
    finally:
        db.engine.dispose()


def test_claims_releases_and_limit_changes_racing_keep_rows_exact(
        start_server):
    """Claims and deletes of one project race limits set and removed over
    and over, and a default limit met for the first time mid-race: every
    row left is the sum of the allocations, and a limit set at the end
    holds."""
    srv = start_server({'api': {'workers': 4},
                        'quota': {'instances': 1000}})
    _host(srv, 'h1')
    _host(srv, 'h2')
    barrier = threading.Barrier(25, timeout=HELD)

    def claim_and_maybe_delete(i):
        barrier.wait()
        response = srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1, 'memory_mb': 64}}, timeout=HELD)
        assert response.status_code == 201, response.text
        if i % 3 == 0:
            deleted = srv.request('DELETE', '/v1/schedules/' + response.json()[
                'schedule']['id'], as_='member', timeout=HELD)
            assert deleted.status_code == 204, deleted.text

    def change_limits():
        barrier.wait()
        for i in range(8):
            if i % 2:
                answer = srv.request('DELETE', '/v1/quotas/project-a',
                                     as_='admin', timeout=HELD)
            else:
                answer = srv.request(
                    'PUT', '/v1/quotas/project-a', as_='admin', timeout=HELD,
                    json={'limits': {'VCPU': 500, 'MEMORY_MB': 100000}})
            assert answer.status_code in (200, 204), answer.text

    with concurrent.futures.ThreadPoolExecutor(max_workers=25) as pool:
        futures = [pool.submit(claim_and_maybe_delete, i) for i in range(24)]
        futures.append(pool.submit(change_limits))
        for future in futures:
            future.result(timeout=HELD)
    db = srv.database()
    try:
        invariants.check(db)
        rows = _rows(db)
        # The default limits instances; the last change removed the own.
        assert set(rows) == {('project-a', 'instances')}
        assert rows['project-a', 'instances'] == 16
        held = srv.request('GET', '/v1/usages', as_='member').json()['usage']
        assert (held['instances'], held['VCPU']) == (16, 16)
        assert srv.request('PUT', '/v1/quotas/project-a', as_='admin', json={
            'limits': {'VCPU': 17}}).status_code == 200
        assert srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}}).status_code == 201
        assert srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}}).status_code == 403
        invariants.check(db)
    finally:
        db.engine.dispose()


@pytest.mark.parametrize('limits', [{}, {'instances': 5}])
def test_a_first_claim_under_a_default_limit_counts_what_was_held(
        start_server, tmp_path, limits):
    """Claims made while no limit applied have no row; the first claim
    under a default limit (a server started with one) starts it from the
    allocations, unless the project's own limit lifts it."""
    options = {}
    if not sora_server.server_database_url():
        options['database'] = {
            'connection': 'sqlite:///%s' % (tmp_path / 'shared.sqlite')}
    srv = start_server(options)
    _host(srv, 'h1')
    for _ in range(3):
        assert srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}}).status_code == 201
    if limits:
        assert srv.request('PUT', '/v1/quotas/project-a', as_='admin', json={
            'limits': {'instances': -1}}).status_code == 200
    limited = start_server({'quota': {'instances': 4}},
                           database_url=srv.database_url)
    assert limited.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1}}).status_code == 201
    db = srv.database()
    try:
        expected = {} if limits else {('project-a', 'instances'): 4}
        assert _rows(db) == expected
        fifth = limited.request('POST', '/v1/schedules', as_='member',
                                json={'resources': {'vcpus': 1}})
        assert fifth.status_code == (201 if limits else 403), fifth.text
        invariants.check(db)
    finally:
        db.engine.dispose()
