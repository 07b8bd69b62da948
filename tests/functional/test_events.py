"""The change feed ``GET /v1/events`` against real servers.

Every change writes its event in its own transaction, so the feed and the
tables always agree: a refused request writes none, a killed worker loses
none, servers sharing a database read one feed with one ``host.down`` per
transition.
"""

import concurrent.futures
import os
import signal
import threading

import pytest
import sqlalchemy as sa

from sora_api.db import models
from tests.functional import server as sora_server

BEAT = {'resources': {'vcpus': 1, 'memory_mb': 256}}


def _feed(srv, as_='admin', **params):
    response = srv.request('GET', '/v1/events', as_=as_, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _head(srv):
    """The ``since`` that skips every event so far."""
    return _drain(srv)['next']


def _drain(srv, as_='admin', since=None):
    """Every event from ``since`` on, following ``next``."""
    events = []
    params = {} if since is None else {'since': since}
    while True:
        page = _feed(srv, as_, **params)
        events += page['events']
        if not page['events']:
            return {'events': events, 'next': page['next']}
        params = {'since': page['next']}


def _every_host(srv):
    """Every host, page after page."""
    hosts, marker = [], None
    while True:
        params = {} if marker is None else {'marker': marker}
        page = srv.request('GET', '/v1/hosts', as_='admin', params=params)
        assert page.status_code == 200, page.text
        hosts += page.json()['hosts']
        if not page.json()['hosts']:
            return hosts
        marker = hosts[-1]['id']


def _about(events, key, value):
    return [e['type'] for e in events if e.get(key) == value]


def test_every_change_of_hosts_and_schedules_is_in_the_feed(api, make_host):
    since = _head(api)
    host = make_host()
    api.request('PUT', '/v1/hosts/%s' % host['id'], as_='admin',
                json={'enabled': True})
    placed = api.request('POST', '/v1/schedules', as_='member', json=BEAT)
    assert placed.status_code == 201, placed.text
    schedule = placed.json()['schedule']
    assert api.request('DELETE', '/v1/schedules/%s' % schedule['id'],
                       as_='member').status_code == 204
    assert api.request('DELETE', '/v1/hosts/%s' % host['id'],
                       as_='admin').status_code == 204

    events = _drain(api, since=since)['events']
    assert _about(events, 'host_id', host['id']) == [
        'host.created', 'host.updated', 'host.deleted']
    assert _about(events, 'schedule_id', schedule['id']) == [
        'schedule.created', 'schedule.deleted']
    ids = [e['id'] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    mine = [e for e in events if e.get('schedule_id') == schedule['id']]
    assert all(e['project_id'] == 'project-a' and 'host_id' not in e
               for e in mine)


def test_confirms_moves_resizes_drains_and_expiries_are_in_the_feed(
        start_server):
    srv = start_server({'scheduler': {'hold_expiry_interval': 1}})
    first, second = (srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': name, 'vcpus': 4, 'memory_mb': 4096, 'disk_gb': 10,
        'cpu_allocation_ratio': 1.0}).json()['host']
        for name in ('first', 'second'))
    since = _head(srv)

    def post(path, as_='member', **body):
        response = srv.request('POST', path, as_=as_, json=body)
        assert response.status_code in (200, 201), response.text
        return response.json()

    held = post('/v1/schedules', resources={'vcpus': 1},
                hold_seconds=600)['schedule']
    path = '/v1/schedules/%s' % held['id']
    post(path + '/confirm')
    moved = post(path + '/move')['schedule']
    post(path + '/resize', resources={'vcpus': 2})
    # Every other host ignored: nothing fits, nothing is written.
    nowhere = srv.request('POST', path + '/move', as_='member', json={
        'ignore_hosts': ['first', 'second']})
    assert nowhere.status_code == 409, nowhere.text
    on = moved['allocations'][0]['host_id']
    drained = post('/v1/hosts/%s/drain' % on, as_='admin')
    assert len(drained['moves']) == 1, drained
    expiring = post('/v1/schedules', resources={'vcpus': 1},
                    hold_seconds=1)['schedule']
    sora_server.wait_for(lambda: 'schedule.expired' in _about(
        _drain(srv, since=since)['events'], 'schedule_id', expiring['id']),
        timeout=30)

    events = _drain(srv, since=since)['events']
    assert _about(events, 'schedule_id', held['id']) == [
        'schedule.created', 'schedule.updated', 'schedule.updated',
        'schedule.updated', 'schedule.updated']
    assert _about(events, 'schedule_id', expiring['id']) == [
        'schedule.created', 'schedule.expired']
    assert _about(events, 'host_id', on) == ['host.updated']
    assert _about(events, 'host_id', ({first['id'], second['id']} - {on})
                  .pop()) == []
    # Members read their project's: the same schedule events.
    assert _drain(srv, 'member', since)['events'] == [
        e for e in events if 'schedule_id' in e]


def test_members_see_only_their_projects_schedule_events(api, make_host):
    make_host()
    since = _head(api)
    make_host()
    placed = api.request('POST', '/v1/schedules', as_='other', json=BEAT)
    assert placed.status_code == 201, placed.text
    theirs = placed.json()['schedule']['id']

    assert _drain(api, 'member', since)['events'] == []
    seen = _drain(api, 'other', since)['events']
    assert [e['type'] for e in seen] == ['schedule.created']
    assert seen[0]['schedule_id'] == theirs
    # The reader of project-a sees none of project-b's, nor host events.
    assert _drain(api, 'reader', since)['events'] == []


def test_an_empty_answer_keeps_since_and_next_continues_without_gaps(api):
    since = _head(api)
    page = _feed(api, since=since)
    assert page == {'events': [], 'next': since}


def test_since_zero_when_nothing_was_pruned_is_not_truncated(api, make_host):
    # No event was ever pruned (the retention is a day): ``since=0`` asks
    # from before the first event, and the caller has missed nothing.
    host = make_host()
    page = _feed(api, since=0, limit=1000)
    assert 'truncated' not in page, page
    assert page['events'][0]['id'] == 1
    assert page == _feed(api, limit=1000)
    assert host['id'] in {e.get('host_id') for e in _drain(api, since=0)[
        'events']}

def test_a_refused_request_writes_no_event(api, make_host):
    host = make_host()
    since = _head(api)
    taken = api.request('POST', '/v1/hosts', as_='admin', json={
        'name': host['name'], 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    assert taken.status_code == 409
    too_big = api.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 10 ** 6}})
    assert too_big.status_code == 409
    busy = api.request('PUT', '/v1/hosts/%s' % host['id'], as_='admin',
                       json={'vcpus': 1}, headers={'If-Match': '"999"'})
    assert busy.status_code == 412
    assert _drain(api, since=since)['events'] == []


@pytest.mark.parametrize('query', [
    'since=-1', 'since=abc', 'since=1.5', 'since=1&since=2', 'wait=31',
    'wait=-1', 'limit=1001', 'limit=x', 'after=3',
])
def test_bad_parameters_are_400(api, query):
    response = api.request('GET', '/v1/events?' + query, as_='admin')
    sora_server.assert_error(response, 400, 'sora.invalid_request')


def test_the_feed_needs_a_token(api):
    response = api.request('GET', '/v1/events')
    sora_server.assert_error(response, 401, 'sora.unauthorized')


def test_a_long_poll_answers_with_the_event_that_arrives(api, unique):
    since = _head(api)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(_feed, api, since=since, wait=30)
        name = unique()
        created = api.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
        assert created.status_code == 201
        page = waiting.result(timeout=60)
    # Had the poll waited its 30 s out, it would have come back empty.
    assert [(e['type'], e['host_id']) for e in page['events']] == [
        ('host.created', created.json()['host']['id'])]
    assert page['next'] == page['events'][-1]['id'] + 1


def test_a_sigkilled_worker_loses_no_event_and_invents_none(start_server):
    srv = start_server({'api': {'workers': 2}})
    pids = sorted(srv.worker_pids(2))
    stop = threading.Event()

    def register(number):
        created = []
        for i in range(1000):
            if stop.is_set() and i > 5:
                break
            try:
                response = srv.request(
                    'POST', '/v1/hosts', as_='admin', timeout=10, json={
                        'name': 'k-%d-%d' % (number, i), 'vcpus': 1,
                        'memory_mb': 1, 'disk_gb': 1})
            except Exception:  # the killed worker's connection
                continue
            if response.status_code == 201:
                created.append(response.json()['host']['id'])
        return created

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(register, n) for n in range(4)]
        # NOTE: one page, not a drain: following ``next`` to an empty page
        # chases the writers, and while it does they register thousands.
        sora_server.wait_for(lambda: len(_feed(srv)['events']) >= 20)
        os.kill(pids[0], signal.SIGKILL)
        stop.set()
        for future in futures:
            future.result()
    # Until the killed worker is gone, its socket still takes connections
    # (and resets them when it closes): read once its replacement serves.
    sora_server.wait_for(lambda: len(
        sora_server.children(srv.process.pid) - set(pids)) == 1)

    hosts = {h['id'] for h in _every_host(srv)}
    events = _drain(srv)['events']
    assert {e['host_id'] for e in events} == hosts
    assert [e['type'] for e in events] == ['host.created'] * len(hosts)


def test_two_servers_read_one_feed_with_one_down_and_up_per_transition(
        start_server, tmp_path):
    shared = {'database': {
        'connection': 'sqlite:///%s' % (tmp_path / 'shared.sqlite')}
        if not sora_server.postgresql_url() else {},
        'scheduler': {'service_down_time': 1},
        'events': {'liveness_check_interval': 0.1},
        'api': {'workers': 2}}
    first = start_server(shared)
    second = start_server(shared, database_url=first.database_url)
    created = first.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'flapping', 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    host_id = created.json()['host']['id']

    def beat():
        assert second.request('POST', '/v1/hosts/%s/heartbeat' % host_id,
                              as_='admin').status_code == 204

    def wait_for_down(since):
        # Every worker of both servers watches; each notices the silence.
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            pages = list(pool.map(
                lambda s: _feed(s, since=since, wait=10),
                [first, second, first, second]))
        return pages

    for _ in range(2):
        since = _drain(first)['next']
        beat()
        sora_server.wait_for(lambda since=since: any(
            e['type'] == 'host.down' for p in wait_for_down(since)
            for e in p['events']), timeout=30)
        beat()
    beat()

    feeds = [_drain(srv)['events'] for srv in (first, second)]
    assert feeds[0] == feeds[1]
    assert _about(feeds[0], 'host_id', host_id) == [
        'host.created', 'host.down', 'host.up', 'host.down', 'host.up']


def test_a_silent_host_is_noted_down_with_nobody_reading_the_feed(
        start_server):
    srv = start_server({'scheduler': {'service_down_time': 1},
                        'events': {'liveness_check_interval': 0.1}})
    created = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'silent', 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    host_id = created.json()['host']['id']
    assert srv.request('POST', '/v1/hosts/%s/heartbeat' % host_id,
                       as_='admin').status_code == 204
    db = srv.database()
    # Read the rows, not the feed: reading the feed would run the check.
    events = models.Event.__table__

    def noted():
        with db.connection() as conn:
            return conn.scalars(sa.select(events.c.type).where(
                events.c.host_id == host_id)).all()

    sora_server.wait_for(lambda: noted() == ['host.created', 'host.down'],
                         timeout=30)
    db.engine.dispose()
