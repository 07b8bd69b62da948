"""Bytes on a raw socket to a test server, and the responses read back.

For what an HTTP library would refuse to send: broken framing, slow or
half-sent requests, several requests on one connection.
"""

import json
import socket
import urllib.parse


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-cased name -> value
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return '<Response %d %r>' % (self.status, self.body[:200])


def address(server):
    url = urllib.parse.urlsplit(server.url)
    return url.hostname, url.port


def connect(server, timeout=10):
    return socket.create_connection(address(server), timeout=timeout)


def exchange(server, data, timeout=10):
    """Send ``data``, end our side, read to the end; ``[Response, ...]``.

    A server that neither answers nor closes within ``timeout`` seconds
    fails the test (``TimeoutError``).
    """
    with connect(server, timeout) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        return parse(read_all(sock))


def read_all(sock):
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b''.join(chunks)


def parse(stream):
    """Every complete response in ``stream``, in order."""
    responses = []
    while stream:
        head, sep, rest = stream.partition(b'\r\n\r\n')
        if not sep:
            raise AssertionError('an incomplete response: %r' % stream[:200])
        lines = head.decode('latin-1').split('\r\n')
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(':')
            headers[name.strip().lower()] = value.strip()
        if status < 200:
            stream = rest
            continue
        if headers.get('transfer-encoding') == 'chunked':
            body, stream = _dechunk(rest)
        else:
            length = int(headers.get('content-length', 0))
            body, stream = rest[:length], rest[length:]
        responses.append(Response(status, headers, body))
    return responses


def _dechunk(data):
    body = b''
    while True:
        size_line, _, data = data.partition(b'\r\n')
        size = int(size_line.split(b';')[0], 16)
        if size == 0:
            _, _, data = data.partition(b'\r\n')
            return body, data
        body, data = body + data[:size], data[size + 2:]


def assert_json_error(response, status, code=None):
    """The contract's error shape, with the response's request id."""
    assert response.status == status, response
    assert response.headers['content-type'].startswith('application/json')
    [error] = response.json()['errors']
    assert error['status'] == status
    if code:
        assert error['code'] == code
    assert error['title'] and error['detail']
    assert error['request_id'].startswith('req-')
    assert error['request_id'] == response.headers['x-openstack-request-id']
    return error
