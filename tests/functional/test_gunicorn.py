"""``sora_api.wsgi:application`` served by gunicorn's gthread workers.

The same configuration and tokens as a ``sora-api`` test server, but the
process is ``gunicorn -k gthread`` on a loopback port, configured through
``OS_SORA_CONFIG_DIR`` / ``OS_SORA_CONFIG_FILES``. Assertions are about
outcomes (statuses, bodies, the rows), never timing.
"""

import collections
import concurrent.futures
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from tests.functional import invariants
from tests.functional import placements
from tests.functional import server as sora_server

pytest.importorskip('gunicorn')

_LISTENING = re.compile(r'Listening at: http://([\d.]+):(\d+)')
_LOADED = 'Sora API application loaded'
TIMEOUT = 60


class GunicornServer(sora_server.SoraServer):
    """``gunicorn sora_api.wsgi:application`` with this server's config."""

    def start(self, workers=2, threads=4, env=None, preload=False,
              timeout=60):
        self.prepare()
        self._log = open(self.log_file, 'ab')
        env = dict(os.environ, OS_SORA_CONFIG_DIR=self.workdir,
                   OS_SORA_CONFIG_FILES='sora.conf',
                   # gunicorn >= 25.1 opens a control socket under $HOME;
                   # each test server gets its own.
                   HOME=self.workdir, **(env or {}))
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'gunicorn', '--worker-class', 'gthread',
             '--workers', str(workers), '--threads', str(threads),
             '--bind', '127.0.0.1:0']
            + (['--preload'] if preload else [])
            + ['sora_api.wsgi:application'],
            env=env, cwd=self.workdir, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('gunicorn exited with %s:\n%s'
                                   % (self.process.returncode, self.log()))
            match = _LISTENING.search(self.log())
            # Each worker loads the application before it accepts (with
            # --preload, the master once, before forking them).
            loaded = 1 if preload else workers
            if match and self.log().count(_LOADED) == loaded:
                self.url = 'http://%s:%s' % match.groups()
                if self._healthy():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('gunicorn did not start:\n' + self.log())

    def _healthy(self):
        # NOTE: gunicorn listens before its workers have loaded the app; the
        # kernel queues the first connections until one has.
        try:
            return requests.get(self.url + '/healthcheck',
                                timeout=TIMEOUT).status_code == 200
        except requests.RequestException:
            return False


@pytest.fixture
def gunicorn(tmp_path_factory):
    started = []

    def _start(**kwargs):
        srv = GunicornServer(tmp_path_factory.mktemp('gunicorn'))
        started.append(srv)
        return srv.start(**kwargs)

    yield _start
    for srv in started:
        srv.cleanup()


def _host(srv, name, **fields):
    body = {'name': name, 'vcpus': 8, 'memory_mb': 16384, 'disk_gb': 100}
    body.update(fields)
    response = srv.request('POST', '/v1/hosts', as_='admin', json=body)
    assert response.status_code == 201, response.text
    return response.json()['host']


def test_gunicorn_serves_hosts_and_schedules(gunicorn):
    srv = gunicorn(workers=1)
    root = srv.request('GET', '/')
    assert root.status_code == 200
    assert root.json()['versions'][0]['id'] == 'v1.0'
    assert root.headers['X-OpenStack-Request-Id'].startswith('req-')

    host = _host(srv, 'g-1')
    created = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 2, 'memory_mb': 1024}, 'num_instances': 2})
    assert created.status_code == 201, created.text
    schedule = created.json()['schedule']
    assert [a['host_id'] for a in schedule['allocations']] == [host['id']] * 2
    assert created.headers['Location'].endswith(schedule['id'])
    assert srv.usage(host['id']) == {'vcpus_used': 4, 'memory_mb_used': 2048,
                                     'disk_gb_used': 0, 'instances': 2}

    refused = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1000}})
    error = sora_server.assert_error(refused, 409, 'sora.no_valid_host')
    assert error['explanation']
    sora_server.assert_error(srv.request('GET', '/v1/hosts'), 401,
                             'sora.unauthorized')

    deleted = srv.request('DELETE', '/v1/schedules/%s' % schedule['id'],
                          as_='member')
    assert deleted.status_code == 204
    assert srv.usage(host['id'])['instances'] == 0


def test_a_malformed_chunked_body_is_a_400_under_gunicorn_too(gunicorn):
    srv = gunicorn(workers=1)
    host, port = srv.url.rsplit('/', 1)[1].split(':')
    with socket.create_connection((host, int(port)), timeout=TIMEOUT) as s:
        s.sendall(b'POST /v1/hosts HTTP/1.1\r\nHost: sora\r\n'
                  b'X-Auth-Token: ' + srv.tokens['admin'].encode()
                  + b'\r\nContent-Type: application/json\r\n'
                  b'Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n')
        answer = b''
        while b'\r\n\r\n' not in answer or not answer.endswith(b'}'):
            data = s.recv(65536)
            if not data:
                break
            answer += data
    head, _, body = answer.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.1 400 '), answer
    [error] = json.loads(body)['errors']
    assert error['code'] == 'sora.invalid_request'
    assert 'chunked' in error['detail']


def test_wsgi_module_leaves_eventlet_out(gunicorn):
    srv = gunicorn(workers=1)
    env = dict(os.environ, OS_SORA_CONFIG_DIR=srv.workdir)
    check = subprocess.run(
        [sys.executable, '-c',
         'import sys\n'
         'from sora_api import wsgi\n'
         'assert callable(wsgi.application)\n'
         'assert "sora_api.cmd" not in sys.modules\n'
         'assert not [m for m in sys.modules if m.startswith(\n'
         '    ("eventlet", "greenlet", "psycogreen"))]\n'
         'print("plain")\n'],
        env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[-1] == 'plain'


# Instances each host can take: 2 vCPUs per instance, ratio 1.
SLOTS = [3, 5, 2, 4, 6, 1]
LATE_SLOTS = [4, 3, 5]
CLIENTS = 12
GIVE_UP_AFTER = 3  # consecutive 409s after which a client stops


def _client(srv, barrier):
    barrier.wait()
    answers, refused = [], 0
    while refused < GIVE_UP_AFTER and len(answers) < 100:
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json={'resources': {'vcpus': 2}},
                               timeout=TIMEOUT)
        answers.append(response)
        refused = refused + 1 if response.status_code == 409 else 0
    return answers


def test_two_gthread_workers_claim_exactly_the_capacity(gunicorn,
                                                       tmp_path):
    metrics_dir = tmp_path / 'metrics'
    metrics_dir.mkdir()
    srv = gunicorn(workers=2, threads=4,
                   env={'PROMETHEUS_MULTIPROC_DIR': str(metrics_dir)})
    hosts = [_host(srv, 'early-%d' % i, vcpus=2 * slots,
                     cpu_allocation_ratio=1.0)
             for i, slots in enumerate(SLOTS)]
    barrier = threading.Barrier(CLIENTS + 1, timeout=TIMEOUT)
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(_client, srv, barrier)
                   for _ in range(CLIENTS)]
        barrier.wait()
        # Hosts registered while both workers schedule: their threads
        # catch their host tables up while other threads read them.
        hosts += [_host(srv, 'late-%d' % i, vcpus=2 * slots,
                        cpu_allocation_ratio=1.0)
                  for i, slots in enumerate(LATE_SLOTS)]
        answers = [a for f in futures for a in f.result(timeout=600)]

    statuses = collections.Counter(r.status_code for r in answers)
    assert set(statuses) <= {201, 409}, [
        (r.status_code, r.text) for r in answers
        if r.status_code not in (201, 409)]
    placed = statuses[201]
    capacity = sum(SLOTS + LATE_SLOTS)
    assert placed <= capacity
    # The clients may stop before late hosts fill: top up one at a time.
    placed += placements.fill_up(srv, 2, capacity - placed)
    assert placed == capacity

    _, rows = invariants.check(srv.database())
    by_id = {row['id']: row for row in rows}
    for host, slots in zip(hosts, SLOTS + LATE_SLOTS):
        assert by_id[host['id']]['instances'] == slots
    # Both workers claimed (oslo.log's line: date, time, pid, level, name).
    claimed_by = set(re.findall(
        r'^\S+ \S+ (\d+) INFO sora_api.access .*POST /v1/schedules',
        srv.log(), re.MULTILINE))
    assert len(claimed_by) == 2, claimed_by
    # /metrics sums both workers' counts, whichever answers.
    scraped = srv.request('GET', '/metrics', as_='admin')
    assert scraped.status_code == 200, scraped.text
    created = re.search(r'^sora_schedules_created_total (\S+)$',
                        scraped.text, re.MULTILINE)
    assert float(created.group(1)) == capacity


def test_preloaded_workers_claim_on_their_own_connections(gunicorn):
    # The master loads the app and the hosts once, then forks: each worker
    # must drop the inherited database connections before serving (on
    # PostgreSQL, two workers on one inherited connection fail this).
    srv = gunicorn(workers=2, threads=4, preload=True)
    hosts = [_host(srv, 'pre-%d' % i, vcpus=2 * slots,
                     cpu_allocation_ratio=1.0)
             for i, slots in enumerate(SLOTS)]
    barrier = threading.Barrier(CLIENTS, timeout=TIMEOUT)
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        answers = [a for f in [pool.submit(_client, srv, barrier)
                               for _ in range(CLIENTS)]
                   for a in f.result(timeout=600)]
    statuses = collections.Counter(r.status_code for r in answers)
    assert set(statuses) == {201, 409}, statuses
    assert statuses[201] == sum(SLOTS)
    _, rows = invariants.check(srv.database())
    by_id = {row['id']: row for row in rows}
    for host, slots in zip(hosts, SLOTS):
        assert by_id[host['id']]['instances'] == slots
    assert srv.log().count(_LOADED) == 1
