"""Slow, idle and too many clients cannot take the service down."""

import contextlib
import resource
import select
import socket
import time

import requests

from tests.functional import rawhttp
from tests.functional.server import wait_for


@contextlib.contextmanager
def _file_limit(soft):
    """This process's open-file limit set to ``soft``, then put back."""
    old = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard = old[1]
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, old)


def _answer_within(sock, seconds, trickle=None):
    """Read until the server closes; send ``trickle`` meanwhile, slowly.

    Returns what the server sent, or fails if it is still open after
    ``seconds`` (a generous bound: the limits under test are 1-2 s).
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if select.select([sock], [], [], 0.2)[0]:
            sock.settimeout(max(1, deadline - time.monotonic()))
            return rawhttp.read_all(sock)
        if trickle:
            try:
                sock.sendall(trickle)
            except (BrokenPipeError, ConnectionResetError):
                return rawhttp.read_all(sock)
    raise AssertionError('still open after %s s' % seconds)


def test_thousands_of_idle_and_half_sent_connections_leave_requests_served(
        start_server, unique):
    server = start_server({'api': {'workers': 2}})
    server.worker_pids(2)
    token = server.tokens['admin'].encode()
    half_sent = [
        b'',                                             # nothing at all
        b'GET /v1/hosts HTTP/1.1\r\nHost: x\r\nX-Au',    # half a head
        b'POST /v1/hosts HTTP/1.1\r\nHost: x\r\nX-Auth-Token: ' + token
        + b'\r\nContent-Length: 1000\r\n\r\n{"na',       # half a body
    ]
    held = []
    with _file_limit(10000):
        try:
            for i in range(3000):
                sock = rawhttp.connect(server, timeout=10)
                held.append(sock)
                sock.sendall(half_sent[i % 3])
            for _ in range(10):
                assert requests.get(server.url + '/',
                                    timeout=30).status_code == 200
            response = server.request('POST', '/v1/hosts', as_='admin',
                                      timeout=30, json={
                                          'name': unique(), 'vcpus': 1,
                                          'memory_mb': 1, 'disk_gb': 1})
            assert response.status_code == 201, response.text
        finally:
            for sock in held:
                sock.close()


def test_a_full_worker_answers_503_at_once_and_serves_again_when_freed(
        start_server):
    server = start_server({'api': {'max_connections': 20}})
    held = [rawhttp.connect(server) for _ in range(20)]
    try:
        [response] = rawhttp.exchange(server, b'GET / HTTP/1.1\r\n'
                                              b'Host: x\r\n\r\n')
        rawhttp.assert_json_error(response, 503, 'sora.service_unavailable')
    finally:
        for sock in held:
            sock.close()
    wait_for(lambda: rawhttp.exchange(
        server, b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')[0].status == 200)


def test_a_head_trickled_byte_by_byte_is_cut_off_with_408(start_server):
    server = start_server({'api': {'client_header_timeout': 1}})
    with rawhttp.connect(server) as sock:
        sock.sendall(b'GET / HTTP/1.1\r\n')
        answer = _answer_within(sock, 20, trickle=b'X')
    [response] = rawhttp.parse(answer)
    rawhttp.assert_json_error(response, 408, 'sora.request_timeout')


def test_a_connection_that_sends_nothing_is_closed(start_server):
    server = start_server({'api': {'client_header_timeout': 1}})
    with rawhttp.connect(server) as sock:
        assert _answer_within(sock, 20) == b''


def test_an_idle_keep_alive_connection_is_closed(start_server):
    server = start_server({'api': {'keepalive_timeout': 1}})
    with rawhttp.connect(server) as sock:
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        first = sock.recv(65536)
        assert first.startswith(b'HTTP/1.1 200 ')
        assert _answer_within(sock, 20) == b''


def test_a_body_slower_than_the_minimum_rate_is_cut_off_with_408(
        start_server):
    server = start_server({'api': {'client_body_timeout': 2,
                                   'client_body_min_rate': 1000}})
    with rawhttp.connect(server) as sock:
        sock.sendall(b'POST /v1/hosts HTTP/1.1\r\nHost: x\r\nX-Auth-Token: '
                     + server.tokens['admin'].encode()
                     + b'\r\nContent-Length: 100000\r\n\r\n')
        # 10 bytes every 0.2 s: each read gets data, the average is 50 B/s.
        answer = _answer_within(sock, 20, trickle=b' ' * 10)
    [response] = rawhttp.parse(answer)
    rawhttp.assert_json_error(response, 408, 'sora.request_timeout')


def test_a_stalled_body_is_cut_off_with_408(start_server):
    server = start_server({'api': {'client_body_timeout': 1}})
    with rawhttp.connect(server) as sock:
        sock.sendall(b'POST /v1/hosts HTTP/1.1\r\nHost: x\r\nX-Auth-Token: '
                     + server.tokens['admin'].encode()
                     + b'\r\nContent-Length: 100\r\n\r\n{"name"')
        answer = _answer_within(sock, 20)
    [response] = rawhttp.parse(answer)
    rawhttp.assert_json_error(response, 408, 'sora.request_timeout')


def test_the_open_file_limit_is_raised_to_fit_max_connections(start_server):
    with _file_limit(4096):
        server = start_server({'api': {'workers': 2}})
    [worker, _] = sorted(server.worker_pids(2))
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    wanted = 10000 + 256
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    with open('/proc/%d/limits' % worker) as f:
        [line] = [ln for ln in f if ln.startswith('Max open files')]
    assert int(line.split()[3]) == wanted
    assert 'Open-file limit raised from 4096 to %d' % wanted in server.log()


def test_a_half_closed_head_gets_an_answer_not_a_hang(api):
    with socket.create_connection(rawhttp.address(api), timeout=10) as sock:
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n')
        sock.shutdown(socket.SHUT_WR)
        [response] = rawhttp.parse(rawhttp.read_all(sock))
    rawhttp.assert_json_error(response, 400)
