"""The access log cannot be forged: raw paths, escaped control characters."""

import json

from tests.functional import rawhttp
from tests.functional.server import wait_for

FAKE = '2026-11-30 12:00:00.000 1 INFO sora_api.access [-] DELETE /v1/hosts'


def _access_line(server, request_id):
    return wait_for(lambda: [line for line in server.log().splitlines()
                              if request_id in line
                              and 'sora_api.access' in line])


def test_crlf_in_the_path_cannot_write_a_fake_access_line(api):
    path = '/%0d%0a' + FAKE.replace(' ', '%20') + '%0d%0a'
    [response] = rawhttp.exchange(
        api, b'GET %s HTTP/1.1\r\nHost: x\r\n\r\n' % path.encode())
    [line] = _access_line(api, response.headers['x-openstack-request-id'])
    assert 'GET ' + path + ' status: 401' in line
    assert not any(ln.startswith(FAKE) for ln in api.log().splitlines())


def test_the_path_is_logged_as_sent_percent_encoded(api):
    [response] = rawhttp.exchange(
        api, b'GET /v1/%68osts/%00%1b[2J?x=%0a HTTP/1.1\r\nHost: x\r\n\r\n')
    [line] = _access_line(api, response.headers['x-openstack-request-id'])
    assert 'GET /v1/%68osts/%00%1b[2J?x=%0a status: 401' in line


def test_control_characters_from_the_client_are_escaped_in_text_logs(
        start_server):
    server = start_server({'api': {'auth_strategy': 'noauth'}})
    [response] = rawhttp.exchange(
        server, b'GET /v1/schedules HTTP/1.1\r\nHost: x\r\n'
        b'X-User-Id: evil\x1b[2J\x07\x7f\r\nX-Project-Id: p\\x1b\x01\r\n'
        b'X-Roles: member\r\n\r\n')
    assert response.status == 200
    [line] = _access_line(server, response.headers['x-openstack-request-id'])
    assert 'user: evil\\x1b[2J\\x07\\x7f project: p\\x5cx1b\\x01' in line
    assert not any(c in server.log() for c in '\x1b\x07\x7f\x01')


def test_json_logs_keep_the_values_as_they_are(start_server):
    server = start_server({'api': {'auth_strategy': 'noauth'},
                           'DEFAULT': {'log_format': 'json'}})
    [response] = rawhttp.exchange(
        server, b'GET /v1/schedules?x=%0a HTTP/1.1\r\nHost: x\r\n'
        b'X-User-Id: evil\x1b[2J\r\nX-Project-Id: p\r\n'
        b'X-Roles: member\r\n\r\n')
    request_id = response.headers['x-openstack-request-id']
    [line] = _access_line(server, request_id)
    record = json.loads(line)
    assert record['args']['user'] == 'evil\x1b[2J'
    assert record['args']['path'] == '/v1/schedules?x=%0a'
    assert record['context']['request_id'] == request_id
