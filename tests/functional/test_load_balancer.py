"""Debian's HAProxy, configured as docs/load-balancer.md prints, in front
of two ``sora-api`` servers on one database: a rolling SIGTERM restart of
both under load fails no request.

Skipped when ``haproxy`` is not installed; ``.ci/run`` installs it.
"""

import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid

import pytest
import requests

from tests import docblocks
from tests import pg
from tests.functional import server as sora_server
from tests.functional.server import wait_for

HAPROXY = shutil.which('haproxy', path=os.environ.get('PATH', '') +
                       os.pathsep + '/usr/sbin')
pytestmark = pytest.mark.skipif(
    HAPROXY is None, reason='haproxy is not installed (apt-get install '
    'haproxy; .ci/run does)')

CLIENTS = 4
# Bounds on the load, whatever happens: requests per client and seconds.
MAX_REQUESTS = 5000
MAX_SECONDS = 180


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _haproxy_config(port, servers, stats_socket):
    """The documented configuration, bound to loopback, with our servers.

    Only the ``global`` section (syslog, the admin socket under /run) and
    the addresses are the test's own.
    """
    text = docblocks.block('haproxy-cfg')
    text = text[text.index('defaults'):]
    text = text.replace('bind :8770', 'bind 127.0.0.1:%d' % port)
    documented = re.findall(r'^ *server .*\n', text, re.M)
    assert len(documented) == len(servers)
    for line, (name, address) in zip(documented, servers):
        text = text.replace(line, '    server %s %s\n' % (name, address))
    return ('global\n    log stdout format raw local0\n'
            '    stats socket %s mode 600 level admin\n\n'
            % stats_socket) + text


def _server_states(stats_socket):
    """``{server name: status}`` from HAProxy's ``show stat``."""
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(stats_socket)
        s.sendall(b'show stat\n')
        data = b''
        while chunk := s.recv(65536):
            data += chunk
    rows = [line.split(',') for line in data.decode().splitlines()
            if line and not line.startswith('#')]
    return {row[1]: row[17] for row in rows
            if row[0] == 'sora-api' and row[1] not in ('BACKEND',)}


@pytest.fixture
def database(tmp_path):
    """One database for both servers: SQLite, or PostgreSQL in its pass."""
    if sora_server.postgresql_url():
        url = pg.create_database(sora_server.postgresql_url())
        yield url
        pg.drop_database(url)
    else:
        yield 'sqlite:///%s' % (tmp_path / 'shared.sqlite')


@pytest.fixture
def servers(tmp_path, database):
    """Two servers: one shared config file, then a port override each."""
    shared = tmp_path / 'sora.conf'
    shared.write_text('[api]\nbind_port = 8770\nworkers = 2\n'
                      '[database]\nconnection = %s\n' % database)
    started = []
    for name in ('sora-1', 'sora-2'):
        srv = sora_server.SoraServer(
            tmp_path / name, options={'api': {'bind_port': _free_port()}},
            database_url=database,
            api_command=sora_server.command('sora-api')
            + ['--config-file', str(shared)])
        started.append(srv)
        srv.start()
    yield started
    for srv in started:
        srv.cleanup()


@pytest.fixture
def haproxy(tmp_path, servers):
    port = _free_port()
    stats = str(tmp_path / 'haproxy.sock')
    config = tmp_path / 'haproxy.cfg'
    config.write_text(_haproxy_config(port, [
        ('sora-%d' % i, srv.url.split('//', 1)[1])
        for i, srv in enumerate(servers, 1)], stats))
    check = subprocess.run([HAPROXY, '-c', '-f', str(config)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    with open(tmp_path / 'haproxy.log', 'wb') as log:
        process = subprocess.Popen([HAPROXY, '-db', '-f', str(config)],
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: os.path.exists(stats) and set(
            _server_states(stats).values()) == {'UP'}, timeout=60)
        yield 'http://127.0.0.1:%d' % port, stats
    finally:
        process.terminate()
        process.wait(30)


def _client(url, token, host_id, stop, results):
    """Requests through the balancer until ``stop``: reads and claims."""
    claimed = []
    session = requests.Session()
    session.headers['X-Auth-Token'] = token
    deadline = time.monotonic() + MAX_SECONDS
    for i in range(MAX_REQUESTS):
        if stop.is_set() or time.monotonic() > deadline:
            return
        try:
            if i % 3 == 0 and claimed:
                response = session.delete(
                    url + '/v1/schedules/' + claimed.pop(), timeout=30)
                expected = 204
            elif i % 3 == 0:
                response = session.post(url + '/v1/schedules', timeout=30,
                                        headers={'Idempotency-Key':
                                                 str(uuid.uuid4())},
                                        json={'resources': {'vcpus': 1}})
                expected = 201
                if response.status_code == expected:
                    claimed.append(response.json()['schedule']['id'])
            elif i % 3 == 1:
                response = session.get(url + '/v1/hosts/' + host_id,
                                       timeout=30)
                expected = 200
            else:
                response = session.post(url + '/v1/schedules', timeout=30,
                                        json={'resources': {'vcpus': 1},
                                              'dry_run': True})
                expected = 200
            results.append(response.status_code == expected
                           or (response.status_code, response.text))
        except requests.RequestException as e:
            results.append(repr(e))


def _wait_for_requests(results, count):
    """Until the clients have had ``count`` more answers (or failures)."""
    target = len(results) + count
    wait_for(lambda: len(results) >= target)


def _errors_logged(tmp_path):
    """HAProxy's log lines of answers that were not 2xx."""
    with open(tmp_path / 'haproxy.log', errors='replace') as f:
        return ''.join(line for line in f
                       if not re.search(r' 20[014] ', line))[-5000:]


def test_a_rolling_sigterm_restart_behind_haproxy_fails_no_request(
        servers, haproxy, tmp_path):
    url, stats = haproxy
    first = servers[0]
    host = first.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'behind-haproxy', 'vcpus': 100000, 'memory_mb': 10 ** 6,
        'disk_gb': 10 ** 6}).json()['host']
    # The admin token may read hosts and schedule (admin_or_member).
    stop, results = threading.Event(), []
    clients = [threading.Thread(target=_client, args=(
        url, first.tokens['admin'], host['id'], stop, results))
        for _ in range(CLIENTS)]
    for thread in clients:
        thread.start()
    try:
        for name, srv in zip(('sora-1', 'sora-2'), servers):
            _wait_for_requests(results, 50)
            assert srv.stop() == 0
            srv.start()
            wait_for(lambda name=name: _server_states(stats).get(name)
                     == 'UP', timeout=60)
        _wait_for_requests(results, 50)
    finally:
        stop.set()
        for thread in clients:
            thread.join(60)
    failed = [r for r in results if r is not True]
    assert not failed, '%d of %d failed: %s\nHAProxy log:\n%s' % (
        len(failed), len(results), failed[:5], _errors_logged(tmp_path))
    # Both servers answered through the balancer, before and after.
    for srv in servers:
        assert srv.log().count('/v1/schedules') > 10
