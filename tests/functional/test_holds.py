"""Holds against real servers: held, confirmed, expired by any worker.

Expiry is observed in the database itself, never through the API, whose
reads would release a due hold themselves: what these tests show is that
no request is needed.
"""

import collections
import concurrent.futures
import datetime
import os
import signal
import threading
import time

import pytest
import sqlalchemy as sa

from sora_api.db import models
from tests.functional import invariants
from tests.functional import placements
from tests.functional.server import assert_error
from tests.functional.server import wait_for

TIMEOUT = 60
S = models.Schedule.__table__


def hold(srv, seconds, vcpus=4, **extra):
    response = srv.request('POST', '/v1/schedules', as_='member', json=dict(
        {'resources': {'vcpus': vcpus}, 'hold_seconds': seconds}, **extra))
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def status_in_database(db, schedule_id):
    with db.engine.connect() as conn:
        return conn.execute(sa.select(S.c.status).where(
            S.c.id == schedule_id)).scalar()


def expired_in_database(db, schedule_id, timeout=TIMEOUT):
    return wait_for(lambda: status_in_database(db, schedule_id) == 'expired',
                    timeout)


def confirm(srv, schedule_id):
    return srv.request('POST', '/v1/schedules/%s/confirm' % schedule_id,
                       as_='member', timeout=TIMEOUT)


def parse(moment):
    return datetime.datetime.strptime(moment, '%Y-%m-%dT%H:%M:%SZ')


def sleep_until(schedule, offset):
    """Sleep until ``offset`` seconds after the ``expires_at`` shown."""
    expires = parse(schedule['expires_at']).replace(
        tzinfo=datetime.timezone.utc).timestamp()
    time.sleep(max(0.0, expires + offset - time.time()))


def sleep_past(schedule):
    """Sleep until the hold has run out (``expires_at`` is shown cut to
    the second)."""
    sleep_until(schedule, 1)


OPTIONS = {'scheduler': {'hold_expiry_interval': 1, 'max_hold_seconds': 600}}


@pytest.fixture
def server(start_server):
    return start_server(OPTIONS)


@pytest.fixture(scope='module')
def refusing(start_module_server):
    """A server and its one host for the refused holds below, shared:
    each case checks that nothing was claimed, so a claim by any case
    fails it (and the ones after it) as on a server of its own."""
    srv = start_module_server(OPTIONS)
    return srv, placements.make_host(srv, 'h1', vcpus=4)


def test_a_hold_is_201_held_with_expires_at_seconds_ahead(server):
    placements.make_host(server, 'h1', vcpus=4)
    schedule = hold(server, 600)
    assert schedule['status'] == 'held'
    assert (parse(schedule['expires_at']) - parse(schedule['created_at'])
            == datetime.timedelta(seconds=600))
    assert server.usage(schedule['allocations'][0]['host_id'])[
        'vcpus_used'] == 4


@pytest.mark.parametrize('seconds', [0, 601, -1, 1.5, '60', None, True])
def test_hold_seconds_outside_1_to_the_maximum_is_400_and_claims_nothing(
        refusing, seconds):
    server, host = refusing
    response = server.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1}, 'hold_seconds': seconds})
    assert_error(response, 400, 'sora.invalid_request')
    assert server.usage(host['id'])['vcpus_used'] == 0
    listed = server.request('GET', '/v1/schedules', as_='member').json()
    assert listed['schedules'] == []


def test_confirm_makes_a_hold_active_and_a_second_confirm_is_409(server):
    placements.make_host(server, 'h1', vcpus=4)
    schedule = hold(server, 600)
    response = confirm(server, schedule['id'])
    assert response.status_code == 200, response.text
    confirmed = response.json()['schedule']
    assert (confirmed['status'], confirmed['expires_at']) == ('active', None)
    assert confirmed['allocations'] == schedule['allocations']
    assert_error(confirm(server, schedule['id']), 409, 'sora.conflict')
    shown = server.request('GET', '/v1/schedules/' + schedule['id'],
                           as_='member').json()['schedule']
    assert shown == confirmed


def test_confirming_a_schedule_that_was_never_held_is_409(server):
    placements.make_host(server, 'h1', vcpus=4)
    response = server.request('POST', '/v1/schedules', as_='member',
                              json={'resources': {'vcpus': 1}})
    schedule = response.json()['schedule']
    assert_error(confirm(server, schedule['id']), 409, 'sora.conflict')
    shown = server.request('GET', '/v1/schedules/' + schedule['id'],
                           as_='member').json()['schedule']
    assert shown == schedule


def test_confirm_of_another_projects_hold_is_404_and_a_reader_403(server):
    placements.make_host(server, 'h1', vcpus=4)
    schedule = hold(server, 600)
    path = '/v1/schedules/%s/confirm' % schedule['id']
    assert_error(server.request('POST', path, as_='other'), 404,
                 'sora.not_found')
    assert_error(server.request('POST', path, as_='reader'), 403,
                 'sora.forbidden')
    assert status_in_database(server.database(), schedule['id']) == 'held'


def test_a_hold_expires_without_any_request_and_frees_host_and_quota(
        server):
    host = placements.make_host(server, 'h1', vcpus=4)
    schedule = hold(server, 1)
    db = server.database()
    expired_in_database(db, schedule['id'])
    # Read back only now: the release happened before any of these.
    invariants.check(db)
    assert server.usage(host['id'])['vcpus_used'] == 0
    usage = server.request('GET', '/v1/usages', as_='member').json()
    assert usage['usage']['instances'] == 0
    shown = server.request('GET', '/v1/schedules/' + schedule['id'],
                           as_='member').json()['schedule']
    assert (shown['status'], shown['allocations']) == ('expired', [])
    assert shown['generation'] == 2
    assert_error(confirm(server, schedule['id']), 409, 'sora.hold_expired')
    response = server.request('DELETE', '/v1/schedules/' + schedule['id'],
                              as_='member')
    assert response.status_code == 204, response.text
    invariants.check(db)


def test_a_due_hold_is_released_before_a_claim_between_timer_runs(
        start_server):
    srv = start_server({'scheduler': {'hold_expiry_interval': 3600}})
    placements.make_host(srv, 'h1', vcpus=4)
    first = hold(srv, 1)
    sleep_past(first)
    # The timer will not run for an hour: this claim releases the hold.
    second = hold(srv, 600)
    assert second['allocations'][0]['host_id'] == (
        first['allocations'][0]['host_id'])
    assert status_in_database(srv.database(), first['id']) == 'expired'
    invariants.check(srv.database())


def test_a_hold_expiring_while_a_worker_is_sigkilled_is_released(
        start_server):
    srv = start_server({'api': {'workers': 2},
                        'scheduler': {'hold_expiry_interval': 1}})
    host = placements.make_host(srv, 'h1', vcpus=4)
    schedule = hold(srv, 2)
    victim = sorted(srv.worker_pids(2))[0]
    os.kill(victim, signal.SIGKILL)
    expired_in_database(srv.database(), schedule['id'])
    invariants.check(srv.database())
    assert srv.usage(host['id'])['vcpus_used'] == 0


def test_a_hold_due_while_no_server_runs_is_released_after_restart(
        start_server):
    srv = start_server({'scheduler': {'hold_expiry_interval': 1}})
    placements.make_host(srv, 'h1', vcpus=4)
    schedule = hold(srv, 1)
    srv.kill()
    sleep_past(schedule)
    db = srv.database()
    assert status_in_database(db, schedule['id']) == 'held'
    srv.start()
    expired_in_database(db, schedule['id'])
    invariants.check(db)


def test_racing_confirms_and_expiry_end_each_hold_in_one_outcome(
        start_server):
    srv = start_server({'api': {'workers': 4},
                        'scheduler': {'hold_expiry_interval': 1}})
    placements.make_host(srv, 'h1', vcpus=64)
    held = [hold(srv, 2, vcpus=1) for _ in range(16)]
    barrier = threading.Barrier(len(held), timeout=TIMEOUT)

    def race(i):
        barrier.wait()
        # NOTE: spread around the moment each hold runs out, so some
        # confirms land before it and some after, against the timers.
        sleep_until(held[i], -0.5 + 0.125 * i)
        return confirm(srv, held[i]['id'])

    with concurrent.futures.ThreadPoolExecutor(len(held)) as pool:
        answers = list(pool.map(race, range(len(held))))
    db = srv.database()
    outcomes = collections.Counter()
    for schedule, answer in zip(held, answers):
        status = status_in_database(db, schedule['id'])
        if answer.status_code == 200:
            assert status == 'active'
        else:
            assert_error(answer, 409, 'sora.hold_expired')
            assert status == 'expired'
        outcomes[status] += 1
    assert sum(outcomes.values()) == len(held)
    invariants.check(db)


def test_moving_an_expired_hold_is_409_and_changes_nothing(server):
    placements.make_host(server, 'h1', vcpus=4)
    placements.make_host(server, 'h2', vcpus=4)
    schedule = hold(server, 1)
    db = server.database()
    expired_in_database(db, schedule['id'])
    path = '/v1/schedules/%s' % schedule['id']
    before = server.request('GET', path, as_='member').json()
    for body in (None, {'instance_index': 0}):
        response = server.request('POST', path + '/move', as_='member',
                                  json=body)
        assert_error(response, 409, 'sora.conflict')
    assert server.request('GET', path, as_='member').json() == before
    invariants.check(db)
