"""The ``sora-api`` process: signals, workers, shutdown."""

import json
import os
import signal
import socket
import threading
import time
import urllib.parse

import pytest
import requests

from tests.functional import server as sora_server
from tests.functional.server import children
from tests.functional.server import wait_for


def _send_headers_of_post(server, path, body, token):
    """Open a connection and send a POST whose body is still to come."""
    url = urllib.parse.urlsplit(server.url)
    conn = socket.create_connection((url.hostname, url.port), timeout=30)
    head = ('POST %s HTTP/1.1\r\nHost: %s\r\nX-Auth-Token: %s\r\n'
            'Content-Type: application/json\r\nContent-Length: %d\r\n'
            'Connection: close\r\n\r\n' % (path, url.netloc, token,
                                            len(body)))
    conn.sendall(head.encode('ascii'))
    return conn


def _read_response(conn):
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
    head, _, body = b''.join(chunks).partition(b'\r\n\r\n')
    return int(head.split()[1]), json.loads(body)


def test_sigterm_lets_an_in_flight_request_finish_then_exits_0(
        start_server, unique):
    server = start_server()
    body = json.dumps({'name': unique(), 'vcpus': 4, 'memory_mb': 1024,
                       'disk_gb': 10}).encode()
    conn = _send_headers_of_post(server, '/v1/hosts', body,
                                 server.tokens['admin'])
    # The server has the request (headers read, body pending) when the
    # signal arrives; it must still answer it in full.
    time.sleep(0.3)
    server.process.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    conn.sendall(body)
    status, answer = _read_response(conn)
    conn.close()
    assert status == 201
    assert answer['host']['vcpus'] == 4
    assert server.process.wait(30) == 0
    assert 'finishing in-flight requests' in server.log()


def test_a_stopped_server_accepts_no_new_connections(start_server):
    server = start_server()
    assert server.stop() == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + '/', timeout=5)


def _knock(port):
    """One GET / on a new connection: 'answered', 'refused' or 'reset'."""
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=10) as c:
            c.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n'
                      b'Connection: close\r\n\r\n')
            head = c.recv(12)
    except ConnectionRefusedError:
        return 'refused'
    except ConnectionResetError:
        return 'reset'
    return 'answered' if head.startswith(b'HTTP/1.1 ') else 'reset'


def test_a_starting_server_answers_or_refuses_each_connection(tmp_path):
    """No connection is taken, then dropped, while the workers start.

    A load balancer resends a refused request, but not one whose
    connection was accepted and then reset.
    """
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    server = sora_server.SoraServer(
        tmp_path, {'api': {'workers': 2, 'bind_port': port}})
    outcomes, stop = [], threading.Event()

    def knock():
        while not stop.is_set():
            outcomes.append(_knock(port))

    knocker = threading.Thread(target=knock)
    knocker.start()
    try:
        server.start()
        wait_for(lambda: outcomes.count('answered') >= 50)
    finally:
        stop.set()
        knocker.join(30)
        server.cleanup()
    assert 'reset' not in outcomes
    assert 'refused' in outcomes  # the knocking began before the server


def test_two_workers_share_the_port_and_a_dead_one_is_replaced(
        start_server, unique):
    server = start_server({'api': {'workers': 2}})
    workers = server.worker_pids(2)
    os.kill(sorted(workers)[0], signal.SIGKILL)
    replaced = wait_for(
        lambda: (len(children(server.process.pid)) == 2
                 and children(server.process.pid) != workers
                 and children(server.process.pid)))
    assert sorted(workers)[0] not in replaced
    # Every request is still served after the replacement.
    for _ in range(20):
        response = server.request('POST', '/v1/hosts', as_='admin', json={
            'name': unique(), 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
        assert response.status_code == 201
    assert 'died' in server.log()
    assert server.stop() == 0
    for pid in replaced:
        assert not os.path.exists('/proc/%d' % pid) or _is_zombie(pid)


def _is_zombie(pid):
    with open('/proc/%d/stat' % pid) as f:
        return f.read().split(')')[-1].split()[0] == 'Z'


def test_sigterm_stops_every_worker_and_the_parent_exits_0(start_server):
    server = start_server({'api': {'workers': 2}})
    workers = server.worker_pids(2)
    assert server.stop() == 0
    for pid in workers:
        assert not os.path.exists('/proc/%d' % pid) or _is_zombie(pid)


def test_workers_stop_when_the_parent_is_killed(start_server):
    server = start_server({'api': {'workers': 2}})
    workers = server.worker_pids(2)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(30)
    wait_for(lambda: all(not os.path.exists('/proc/%d' % pid)
                          or _is_zombie(pid) for pid in workers))
