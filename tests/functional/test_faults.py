"""Faults under load: the database stops, a server is killed or stopped.

Client threads keep requests flowing while the fault happens; the tests
then check what every client got and what the database holds. The SIGKILL
and SIGTERM tests run on SQLite and, in the PostgreSQL pass, on
PostgreSQL; stopping the database needs a PostgreSQL cluster of the test's
own (``tests/pg.py``), so the rest of the suite keeps its database.
"""

import collections
import http.client
import json
import signal
import threading
import urllib.parse

import pytest
import requests

from tests import pg
from tests.functional import invariants
from tests.functional import server as sora_server
from tests.functional.server import children

TIMEOUT = 60  # seconds a single request may take
POLLS = 600  # bound of every wait loop (0.05 s apart)
BODY = {'resources': {'vcpus': 1, 'memory_mb': 128}, 'num_instances': 2}


def _wait_for(predicate, what):
    stop = threading.Event()
    for _ in range(POLLS):
        if predicate():
            return
        stop.wait(0.05)
    raise AssertionError('%s did not happen' % what)



def _refused(error):
    """True when the connection was never made (no request was sent)."""
    return isinstance(error, requests.ConnectionError) and isinstance(
        getattr(error.args[0], 'reason', None),
        requests.packages.urllib3.exceptions.NewConnectionError)


class Load:
    """Client threads each sending requests in turn until told to stop.

    ``kinds`` are ``(method, path, identity, body)``; every answer is kept
    as ``(phase, kind, status, error code or None)``, every exception as
    ``(phase, kind, exception)``.
    """

    def __init__(self, srv, kinds, clients=6):
        self.srv = srv
        self.kinds = kinds
        self.phase = 'before'
        self.answers = []
        self.failures = []
        self.created = []
        self.deleted = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, args=(n,))
                         for n in range(clients)]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(TIMEOUT * 2)

    def _run(self, number):
        for i in range(100000):
            if self._stop.is_set():
                return
            kind = self.kinds[(number + i) % len(self.kinds)]
            phase = self.phase
            try:
                response = self._send(kind)
            except requests.RequestException as e:
                with self._lock:
                    self.failures.append((phase, kind[0], e))
                if self.srv.process.poll() is not None:
                    return
                self._stop.wait(0.01)
                continue
            self._record(phase, kind, response)

    def _send(self, kind):
        method, path, who, body = kind
        if path is None:  # delete one of the schedules made so far
            with self._lock:
                if not self.created:
                    return self.srv.request('GET', '/healthcheck')
                schedule_id = self.created.pop()
            path = '/v1/schedules/%s' % schedule_id
            response = self.srv.request(method, path, as_=who,
                                        timeout=TIMEOUT)
            if response.status_code == 204:
                with self._lock:
                    self.deleted.append(schedule_id)
            return response
        return self.srv.request(method, path, as_=who, json=body,
                                timeout=TIMEOUT)

    def _record(self, phase, kind, response):
        code = None
        if response.status_code >= 400:
            code = response.json()['errors'][0]['code']
        if response.status_code == 503:
            sora_server.assert_error(response, 503,
                                     'sora.service_unavailable')
        with self._lock:
            if response.status_code == 201 and kind[1] == '/v1/schedules':
                self.created.append(response.json()['schedule']['id'])
            self.answers.append((phase, kind[1] or 'delete',
                                 response.status_code, code))

    def count(self, phase=None, path=None, status=None):
        with self._lock:
            return sum(1 for p, k, s, _ in self.answers
                       if phase in (None, p) and path in (None, k)
                       and status in (None, s))


def _hosts(srv, count=4, vcpus=4096):
    for i in range(count):
        response = srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': 'fault-%d' % i, 'vcpus': vcpus, 'memory_mb': 1 << 30,
            'disk_gb': 1000})
        assert response.status_code == 201, response.text


# -- the database stops and comes back ---------------------------------------

@pytest.fixture
def cluster():
    """A PostgreSQL cluster of this test's own, to stop and start."""
    if not sora_server.postgresql_url():
        pytest.skip('needs PostgreSQL: scripts/test.sh --with-postgresql')
    if pg.bindir() is None:
        pytest.skip('needs the PostgreSQL server binaries (initdb, pg_ctl)')
    own = pg.Cluster()
    own.start()
    yield own
    own.destroy()


def test_a_stopped_database_is_503_and_service_resumes_by_itself(
        start_server, cluster):
    srv = start_server({'api': {'workers': 2}},
                       database_url=pg.create_database(cluster.admin_url))
    _hosts(srv)
    workers = children(srv.process.pid)
    kinds = [('POST', '/v1/schedules', 'member', BODY),
             ('GET', '/v1/schedules', 'member', None),
             ('GET', '/healthcheck', None, None),
             ('GET', '/v1/hosts', 'admin', None)]
    with Load(srv, kinds) as load:
        _wait_for(lambda: load.count(status=201) >= 10, 'claims before')
        cluster.stop(mode='fast')
        load.phase = 'down'
        for path in ('/v1/schedules', '/healthcheck', '/v1/hosts'):
            _wait_for(lambda p=path: load.count('down', p, 503) >= 5,
                      '503s of %s while down' % path)
        # Requests sent while it starts may find it up or not yet.
        load.phase = 'starting'
        cluster.start()
        load.phase = 'back'
        _wait_for(lambda: load.count('back', '/v1/schedules', 201) >= 10,
                  'claims after the database came back')
    statuses = collections.Counter((p, s) for p, _, s, _ in load.answers)
    print('answers by (phase, status): %s' % dict(statuses))
    assert load.failures == []
    # While the database was down nothing but 503 was answered, and no
    # request anywhere ended in a 500 or another 5xx.
    assert {s for p, _, s, _ in load.answers if p == 'down'} == {503}
    assert {s for _, _, s, _ in load.answers if s >= 500} == {503}
    assert {c for _, _, s, c in load.answers if s == 503} == {
        'sora.service_unavailable'}
    # Nobody restarted anything: the same parent and workers serve.
    assert srv.process.poll() is None
    assert children(srv.process.pid) == workers
    assert srv.request('GET', '/healthcheck').status_code == 200
    invariants.check(srv.database())


# -- a server killed mid-load ------------------------------------------------

def test_a_server_killed_mid_load_leaves_no_partial_schedule(start_server):
    srv = start_server({'api': {'workers': 2}})
    _hosts(srv)
    kinds = [('POST', '/v1/schedules', 'member', BODY),
             ('POST', '/v1/schedules', 'member',
              dict(BODY, num_instances=5)),
             ('DELETE', None, 'member', None)]
    with Load(srv, kinds, clients=8) as load:
        _wait_for(lambda: load.count(path='/v1/schedules', status=201)
                  >= 30, 'claims before the kill')
        srv.kill()
    # Every claim and release is one transaction: the schedules left have
    # all their allocations and the hosts' counters are their sums.
    schedules, _ = invariants.check(srv.database())
    stored = {s['id'] for s in schedules}
    acknowledged = set(load.created) | set(load.deleted)
    # What the clients were told happened, happened.
    assert set(load.created) <= stored
    assert not set(load.deleted) & stored
    assert acknowledged
    # The server starts again on that database and goes on.
    srv.start()
    response = srv.request('POST', '/v1/schedules', as_='member', json=BODY)
    assert response.status_code == 201, response.text
    invariants.check(srv.database())


# -- SIGTERM under load -------------------------------------------------------

def _pending_request(srv, body):
    """A connection a worker has accepted, holding a request mid-body.

    A first request answered on the connection proves a worker took it;
    the second is sent up to its last bytes and completed after SIGTERM.
    """
    url = urllib.parse.urlsplit(srv.url)
    conn = http.client.HTTPConnection(url.hostname, url.port,
                                      timeout=TIMEOUT)
    headers = {'X-Auth-Token': srv.tokens['member'],
               'Content-Type': 'application/json'}
    conn.request('GET', '/v1/schedules?limit=1', headers=headers)
    first = conn.getresponse()
    first.read()
    assert first.status == 200
    data = json.dumps(body).encode()
    conn.putrequest('POST', '/v1/schedules')
    for name, value in dict(headers, **{
            'Content-Length': str(len(data))}).items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(data[:-1])
    return conn, data[-1:]


def test_sigterm_under_load_lets_every_in_flight_request_finish(
        start_server):
    srv = start_server({'api': {'workers': 2}})
    _hosts(srv)
    pending = [_pending_request(srv, BODY) for _ in range(6)]
    kinds = [('POST', '/v1/schedules', 'member', BODY),
             ('GET', '/v1/schedules', 'member', None),
             ('DELETE', None, 'member', None)]
    with Load(srv, kinds, clients=8) as load:
        _wait_for(lambda: load.count(status=201) >= 20, 'load')
        srv.process.send_signal(signal.SIGTERM)
        load.phase = 'stopping'
        # The held requests are completed now, after the signal.
        answers = []
        for conn, rest in pending:
            conn.send(rest)
            response = conn.getresponse()
            answers.append((response.status, json.loads(response.read())))
            conn.close()
        assert srv.process.wait(TIMEOUT) == 0
    assert [status for status, _ in answers] == [201] * len(pending)
    for _, body in answers:
        assert len(body['schedule']['allocations']) == 2
    # Every request of the load either got its whole answer or was never
    # sent (connection refused once the server stopped listening).
    broken = [(p, k, repr(e)) for p, k, e in load.failures
              if not _refused(e)]
    assert broken == []
    assert {s for _, _, s, _ in load.answers} <= {200, 201, 204, 404, 409}
    print('answers: %d, refused after SIGTERM: %d' % (
        len(load.answers), len(load.failures)))
    invariants.check(srv.database())

