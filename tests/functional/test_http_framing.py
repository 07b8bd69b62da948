"""Strict HTTP/1.1 framing (RFC 9112) and the HTTP layer's own answers."""

import socket
import time

import pytest

from tests.functional import rawhttp
from tests.functional.test_errors import access_lines

# A request hidden in a body: a server that reads the body's length
# differently from a proxy in front of it would answer it too.
SMUGGLED = b'GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'
HEAD = 'POST /v1/hosts HTTP/1.1\r\nHost: sora\r\nX-Auth-Token: %s\r\n'


def _framed(api, headers, body):
    request = (HEAD % api.tokens['admin'] + headers + '\r\n').encode()
    return rawhttp.exchange(api, request + body)


def _refused(responses, status, code='sora.invalid_request'):
    """One JSON error, nothing smuggled; the server then closed."""
    assert len(responses) == 1, responses
    rawhttp.assert_json_error(responses[0], status, code)
    assert responses[0].headers['connection'] == 'close'


@pytest.mark.parametrize('headers', [
    'Content-Length: 0\r\nContent-Length: %d\r\n',
    'Content-Length: %d\r\nContent-Length: %d\r\n',
    'Content-Length: %d, %d\r\n',
    'Content-Length: +%d\r\n',
    'Content-Length: 0x%x\r\n',
    'Content-Length: -%d\r\n',
], ids=['two different', 'two equal', 'a list', 'plus sign', 'hex',
        'negative'])
def test_a_duplicate_or_malformed_content_length_is_400_and_closes(
        api, headers):
    body = b'0\r\n\r\n' + SMUGGLED
    count = headers.count('%')
    headers = headers % ((len(body),) * count)
    _refused(_framed(api, headers, body), 400)


@pytest.mark.parametrize('coding, status', [
    ('gzip, chunked', 501),
    ('xchunked', 501),
    ('identity', 501),
    ('chunked, gzip', 400),
    ('chunked, chunked', 400),
    (', chunked', 400),
])
def test_a_transfer_coding_other_than_one_final_chunked_is_refused(
        api, coding, status):
    code = 'sora.not_implemented' if status == 501 else None
    body = b'%x\r\n%s\r\n0\r\n\r\n' % (len(SMUGGLED), SMUGGLED)
    _refused(_framed(api, 'Transfer-Encoding: %s\r\n' % coding, body),
             status, code)


def test_two_transfer_encoding_lines_are_400(api):
    body = b'0\r\n\r\n' + SMUGGLED
    _refused(_framed(api, 'Transfer-Encoding: chunked\r\n'
                          'Transfer-Encoding: chunked\r\n', body), 400)


def test_content_length_and_transfer_encoding_together_are_400(api):
    body = b'0\r\n\r\n' + SMUGGLED
    _refused(_framed(api, 'Content-Length: %d\r\nTransfer-Encoding: '
                          'chunked\r\n' % len(body), body), 400)


@pytest.mark.parametrize('size', [b'+5', b'0x5', b'-5', b' 5', b'5 5', b'zz',
                                  b'5\x00', b''],
                         ids=['plus', 'hex prefix', 'negative', 'space',
                              'two numbers', 'not hex', 'nul', 'empty'])
def test_a_malformed_chunk_size_is_400_and_closes(api, size):
    body = size + b'\r\nhello\r\n0\r\n\r\n' + SMUGGLED
    _refused(_framed(api, 'Transfer-Encoding: chunked\r\n', body), 400)


def test_an_http_1_1_request_without_host_is_400(api):
    responses = rawhttp.exchange(api, b'GET / HTTP/1.1\r\n\r\n')
    _refused(responses, 400)


def test_an_http_1_0_request_without_host_is_served(api):
    [response] = rawhttp.exchange(api, b'GET / HTTP/1.0\r\n\r\n')
    assert response.status == 200
    assert 'versions' in response.json()


def test_a_host_that_is_not_a_host_is_400(api):
    responses = rawhttp.exchange(
        api, b'GET / HTTP/1.1\r\nHost: a b@c/d\r\n\r\n')
    _refused(responses, 400)


@pytest.mark.parametrize('request_line', [
    b'GET /\r\n', b'GET  / HTTP/1.1\r\n', b'get / HTTP/1.1 x\r\n',
    b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n', b'GET / HTTP/1\r\n',
], ids=['http 0.9', 'two spaces', 'trailing word', 'tls hello',
        'short version'])
def test_a_malformed_request_line_is_a_json_400(api, request_line):
    responses = rawhttp.exchange(api, request_line + b'Host: x\r\n\r\n')
    _refused(responses, 400)


@pytest.mark.parametrize('version', [b'HTTP/2.0', b'HTTP/1.2', b'HTTP/0.9'])
def test_an_unsupported_http_version_is_a_json_505(api, version):
    responses = rawhttp.exchange(
        api, b'GET / ' + version + b'\r\nHost: x\r\n\r\n')
    _refused(responses, 505, 'sora.not_implemented')


def test_an_http_layer_error_is_in_the_access_log_with_its_id(api):
    [response] = rawhttp.exchange(api, b'GET / HTTP/1.1\r\n\r\n')
    request_id = rawhttp.assert_json_error(response, 400)['request_id']
    [line] = access_lines(api, request_id)
    assert 'status: 400' in line


def test_a_request_line_over_max_header_line_is_a_json_414(start_server):
    server = start_server({'api': {'max_header_line': 1000}})
    served = rawhttp.exchange(
        server, b'GET /?%s HTTP/1.1\r\nHost: x\r\n\r\n' % (b'a' * 900))
    assert served[0].status != 414
    responses = rawhttp.exchange(
        server, b'GET /?%s HTTP/1.1\r\nHost: x\r\n\r\n' % (b'a' * 1100))
    _refused(responses, 414, 'sora.request_too_large')


def test_max_header_line_bounds_each_header_line_with_a_json_431(
        start_server):
    server = start_server({'api': {'max_header_line': 1000}})
    [served] = rawhttp.exchange(
        server, b'GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n'
        % (b'a' * 900))
    assert served.status == 200
    responses = rawhttp.exchange(
        server, b'GET / HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n'
        % (b'a' * 1100))
    _refused(responses, 431, 'sora.request_too_large')


def test_more_than_100_headers_is_a_json_431(api):
    headers = b''.join(b'X-H%d: v\r\n' % i for i in range(101))
    responses = rawhttp.exchange(
        api, b'GET / HTTP/1.1\r\nHost: x\r\n' + headers + b'\r\n')
    _refused(responses, 431, 'sora.request_too_large')


def test_a_head_over_max_request_head_size_is_a_json_431(api):
    headers = b''.join(b'X-H%d: %s\r\n' % (i, b'v' * 1000)
                       for i in range(80))
    responses = rawhttp.exchange(
        api, b'GET / HTTP/1.1\r\nHost: x\r\n' + headers + b'\r\n')
    _refused(responses, 431, 'sora.request_too_large')


def test_a_request_after_a_413_is_not_read_and_the_connection_closes(api):
    """The server stops reading a body it refused: 50 MB never go in."""
    size = 50 * 1024 * 1024
    head = (HEAD % api.tokens['admin']
            + 'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n'
            % size).encode()
    chunk = b' ' * 65536
    sent = 0
    with rawhttp.connect(api, timeout=10) as sock:
        sock.sendall(head)
        try:
            while sent < size:
                sent += sock.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        # The refusal was sent before the server closed: still readable.
        answer = rawhttp.read_all(sock)
    assert sent < size
    [response] = rawhttp.parse(answer)
    rawhttp.assert_json_error(response, 413, 'sora.request_too_large')
    assert response.headers['connection'] == 'close'


def test_a_chunked_body_over_the_limit_is_413_and_the_rest_unread(api):
    head = (HEAD % api.tokens['admin']
            + 'Transfer-Encoding: chunked\r\n\r\n').encode()
    chunk = b'10000\r\n' + b' ' * 65536 + b'\r\n'
    sent = 0
    with rawhttp.connect(api, timeout=10) as sock:
        sock.sendall(head)
        try:
            for _ in range(800):  # 50 MB
                sent += sock.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = rawhttp.read_all(sock)
    assert sent < 800 * len(chunk)
    [response] = rawhttp.parse(answer)
    rawhttp.assert_json_error(response, 413, 'sora.request_too_large')


def test_keep_alive_requests_are_answered_in_order_on_one_connection(api):
    """Strictness costs nothing to well-formed pipelined requests."""
    requests = (b'GET / HTTP/1.1\r\nHost: x\r\n\r\n'
                b'GET /healthcheck HTTP/1.1\r\nHost: x\r\n\r\n'
                b'POST /v1/hosts HTTP/1.1\r\nHost: x\r\n'
                b'Transfer-Encoding: chunked\r\n\r\n3\r\n{}\n\r\n0\r\n\r\n'
                b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    responses = rawhttp.exchange(api, requests)
    assert [r.status for r in responses] == [200, 200, 401, 200]


def test_expect_100_continue_gets_100_then_the_answer(api):
    body = b'{}'
    with rawhttp.connect(api) as sock:
        sock.sendall((HEAD % api.tokens['admin']
                      + 'Expect: 100-continue\r\nContent-Length: 2\r\n'
                      'Connection: close\r\n\r\n').encode())
        assert sock.recv(1024).startswith(b'HTTP/1.1 100 ')
        sock.sendall(body)
        [response] = rawhttp.parse(rawhttp.read_all(sock))
    rawhttp.assert_json_error(response, 400)


def test_headers_with_underscores_are_dropped(api):
    """``X_Auth_Token`` cannot stand in for ``X-Auth-Token``."""
    [response] = rawhttp.exchange(
        api, b'GET /v1/hosts HTTP/1.1\r\nHost: x\r\nX_Auth_Token: %s\r\n'
        b'Connection: close\r\n\r\n' % api.tokens['admin'].encode())
    rawhttp.assert_json_error(response, 401)


def test_an_idle_pause_inside_a_head_is_not_a_new_request(api):
    with rawhttp.connect(api) as sock:
        sock.sendall(b'GET / HTTP/1.1\r\nHo')
        time.sleep(0.2)
        sock.sendall(b'st: x\r\nConnection: close\r\n\r\n')
        sock.shutdown(socket.SHUT_WR)
        [response] = rawhttp.parse(rawhttp.read_all(sock))
    assert response.status == 200
