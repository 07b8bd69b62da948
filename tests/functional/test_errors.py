"""Refused requests: the right 4xx in the contract's shape, nothing changed.

Every request here goes through ``call``, which also checks that no answer
is a 500 and that no body shows a traceback. Each module runs in one
pytest-xdist worker with its own session server, one test at a time, so the
whole host list can be compared before and after a refused write.
"""

import socket
import time
import urllib.parse
import uuid

import pytest

from tests.functional.server import assert_error

JSON = {'Content-Type': 'application/json'}
MiB = 1024 * 1024
UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'


def call(api, method, path, as_='admin', **kwargs):
    """``api.request`` that never accepts a 500 or a traceback."""
    response = api.request(method, path, as_=as_, **kwargs)
    assert response.status_code != 500, response.text
    for text in ('Traceback', 'File "', 'sqlalchemy'):
        assert text not in response.text, response.text
    return response


def all_hosts(api):
    """Every host of the server, to compare before and after."""
    response = call(api, 'GET', '/v1/hosts')
    assert response.status_code == 200
    assert 'links' not in response.json()
    return sorted(response.json()['hosts'], key=lambda h: h['id'])


@pytest.fixture(scope='module')
def target(api):
    """A host the PUT tests try and fail to change."""
    response = call(api, 'POST', '/v1/hosts', json={
        'name': 'errors-target-%s' % uuid.uuid4(), 'vcpus': 8,
        'memory_mb': 8192, 'disk_gb': 80, 'traits': ['CUSTOM_KEEP'],
        'metadata': {'keep': 'me'}})
    assert response.status_code == 201, response.text
    return response.json()['host']


def valid_create(**fields):
    body = {'name': 'never-%s' % uuid.uuid4(), 'vcpus': 1, 'memory_mb': 1,
            'disk_gb': 1}
    body.update(fields)
    return body


# One bad field each: POST sends it with the required fields, PUT alone.
BAD_FIELDS = {
    'unknown field': {'colour': 'blue'},
    'read-only field': {'vcpus_used': 1},
    'id given': {'id': UNKNOWN_ID},
    'string for int': {'vcpus': '8'},
    'float for int': {'memory_mb': 2.5},
    'integral float for int': {'disk_gb': 2.0},
    'true for int': {'vcpus': True},
    'null for int': {'reserved_vcpus': None},
    'negative int': {'reserved_disk_gb': -1},
    'int over 2**31-1': {'memory_mb': 2 ** 31},
    'int far over 2**63': {'disk_gb': 2 ** 70},
    'ratio 0': {'cpu_allocation_ratio': 0},
    'negative ratio': {'ram_allocation_ratio': -1.5},
    'string ratio': {'disk_allocation_ratio': '1.5'},
    'true ratio': {'cpu_allocation_ratio': True},
    'empty name': {'name': ''},
    'name of 256 chars': {'name': 'n' * 256},
    'int name': {'name': 42},
    'null name': {'name': None},
    'empty availability zone': {'availability_zone': ''},
    'string for enabled': {'enabled': 'yes'},
    'int for enabled': {'enabled': 1},
    'disabled reason of 256': {'disabled_reason': 'r' * 256},
    'lowercase trait': {'traits': ['custom_ssd']},
    'trait with dash': {'traits': ['CUSTOM-SSD']},
    'empty trait': {'traits': ['']},
    'int trait': {'traits': [1]},
    'repeated trait': {'traits': ['CUSTOM_A', 'CUSTOM_A']},
    'traits as string': {'traits': 'CUSTOM_SSD'},
    'int metadata value': {'metadata': {'tier': 1}},
    'null metadata value': {'metadata': {'tier': None}},
    'object metadata value': {'metadata': {'tier': {'a': 'b'}}},
    'empty metadata key': {'metadata': {'': 'x'}},
    'metadata as list': {'metadata': [['tier', 'gold']]},
    'negative io_ops': {'io_ops': -1},
}

# Raw bodies; ``%s`` is where POST puts the required fields.
REQUIRED = ('"name": "never-raw", "vcpus": 1, "memory_mb": 1, '
            '"disk_gb": 1, ')
DEEP = 100000
BAD_RAW = {
    'not JSON': 'name=x&vcpus=1',
    'truncated JSON': '{%s"vcpus": ',
    'JSON array': '[{%s"vcpus": 1}]',
    'JSON string': '"host"',
    'JSON null': 'null',
    'NaN literal': '{%s"cpu_allocation_ratio": NaN}',
    'Infinity literal': '{%s"ram_allocation_ratio": Infinity}',
    '-Infinity literal': '{%s"disk_allocation_ratio": -Infinity}',
    'float overflowing to inf': '{%s"cpu_allocation_ratio": 1e400}',
    'integer of 5000 digits': '{%s"reserved_vcpus": ' + '9' * 5000 + '}',
    'integer of 4000 digits': '{%s"reserved_vcpus": ' + '9' * 4000 + '}',
    'lists nested 100000 deep': '[' * DEEP + ']' * DEEP,
    'objects nested 100000 deep': '{"a": ' * DEEP + '1' + '}' * DEEP,
    'a field nested 100000 deep':
        '{%s"metadata": ' + '[' * DEEP + ']' * DEEP + '}',
    'a lone surrogate in a string': '{%s"disabled_reason": "\\ud800"}',
    'a lone surrogate in a key': '{%s"metadata": {"\\udc00": "x"}}',
}
BAD_BYTES = {
    'invalid UTF-8': b'{"name": "\xff\xfe", "vcpus": 1}',
    'empty': b'',
    'whitespace only': b'  \n',
}


def _post_raw(template):
    return template.replace('%s', REQUIRED).encode('utf-8')


def _put_raw(template):
    return template.replace('%s', '').encode('utf-8')


@pytest.mark.parametrize('fields', list(BAD_FIELDS.values()),
                         ids=list(BAD_FIELDS))
def test_a_create_with_a_bad_field_is_400_and_creates_nothing(api, fields):
    before = all_hosts(api)
    response = call(api, 'POST', '/v1/hosts', json=valid_create(**fields))
    assert_error(response, 400, 'sora.invalid_request')
    assert all_hosts(api) == before


@pytest.mark.parametrize('fields', list(BAD_FIELDS.values()),
                         ids=list(BAD_FIELDS))
def test_an_update_with_a_bad_field_is_400_and_changes_nothing(
        api, target, fields):
    before = all_hosts(api)
    response = call(api, 'PUT', '/v1/hosts/' + target['id'], json=fields)
    assert_error(response, 400, 'sora.invalid_request')
    assert all_hosts(api) == before


@pytest.mark.parametrize('template', list(BAD_RAW.values()), ids=list(BAD_RAW))
def test_a_create_with_a_bad_body_is_400_and_creates_nothing(api, template):
    before = all_hosts(api)
    response = call(api, 'POST', '/v1/hosts', data=_post_raw(template),
                    headers=JSON)
    assert_error(response, 400, 'sora.invalid_request')
    assert all_hosts(api) == before


@pytest.mark.parametrize('template', list(BAD_RAW.values()), ids=list(BAD_RAW))
def test_an_update_with_a_bad_body_is_400_and_changes_nothing(
        api, target, template):
    before = all_hosts(api)
    response = call(api, 'PUT', '/v1/hosts/' + target['id'],
                    data=_put_raw(template), headers=JSON)
    assert_error(response, 400, 'sora.invalid_request')
    assert all_hosts(api) == before


@pytest.mark.parametrize('body', list(BAD_BYTES.values()), ids=list(BAD_BYTES))
@pytest.mark.parametrize('method', ['POST', 'PUT'])
def test_a_body_that_is_not_a_json_document_is_400(api, target, method, body):
    path = '/v1/hosts' + ('/' + target['id'] if method == 'PUT' else '')
    before = all_hosts(api)
    response = call(api, method, path, data=body, headers=JSON)
    assert_error(response, 400, 'sora.invalid_request')
    assert all_hosts(api) == before


def test_a_create_missing_a_required_field_is_400(api):
    for field in ('name', 'vcpus', 'memory_mb', 'disk_gb'):
        body = valid_create()
        del body[field]
        response = call(api, 'POST', '/v1/hosts', json=body)
        error = assert_error(response, 400, 'sora.invalid_request')
        assert field in error['detail']


def test_an_empty_update_is_400(api, target):
    before = all_hosts(api)
    response = call(api, 'PUT', '/v1/hosts/' + target['id'], json={})
    assert_error(response, 400, 'sora.invalid_request')
    assert all_hosts(api) == before


def test_the_largest_values_in_range_are_accepted(api):
    """The edges of the ranges the 400s above step over."""
    response = call(api, 'POST', '/v1/hosts', json=valid_create(
        name='n' * 255, vcpus=2 ** 31 - 1, cpu_allocation_ratio=0.001,
        metadata={'k' * 255: 'v' * 255}))
    assert response.status_code == 201, response.text
    host = response.json()['host']
    assert host['name'] == 'n' * 255
    assert host['vcpus'] == 2 ** 31 - 1
    call(api, 'DELETE', '/v1/hosts/' + host['id'])


# -- body size --------------------------------------------------------------

def _chunks(size, chunk=64 * 1024):
    sent = 0
    while sent < size:
        yield b' ' * min(chunk, size - sent)
        sent += chunk


@pytest.mark.parametrize('chunked', [False, True],
                         ids=['content-length', 'chunked'])
@pytest.mark.parametrize('method', ['POST', 'PUT'])
def test_a_body_over_the_limit_is_413(api, target, method, chunked):
    path = '/v1/hosts' + ('/' + target['id'] if method == 'PUT' else '')
    body = b'{"name": "too-big", "vcpus": 1, "memory_mb": 1, "disk_gb": 1, ' \
           b'"disabled_reason": "' + b'x' * (2 * MiB) + b'"}'
    data = _chunks(len(body)) if chunked else body
    before = all_hosts(api)
    response = call(api, method, path, data=data, headers=JSON)
    assert_error(response, 413, 'sora.request_too_large')
    if chunked:
        assert 'Content-Length' not in response.request.headers
    assert all_hosts(api) == before


def test_a_chunked_body_under_the_limit_is_read_whole(api, unique):
    name = unique('chunked')
    body = ('{"name": "%s", "vcpus": 1, "memory_mb": 1, "disk_gb": 1}'
            % name).encode()
    response = call(api, 'POST', '/v1/hosts', data=iter([body[:10],
                                                         body[10:]]),
                    headers=JSON)
    assert response.status_code == 201, response.text
    assert response.json()['host']['name'] == name


def raw_exchange(api, head, body, token='admin'):
    """Send bytes the HTTP library would not, end our side, read the answer.

    Returns ``(status, request id or None)``.
    """
    address = urllib.parse.urlsplit(api.url)
    request = (head + 'Host: %s\r\nX-Auth-Token: %s\r\n'
               'Connection: close\r\n\r\n'
               % (address.netloc, api.tokens[token])).encode() + body
    with socket.create_connection((address.hostname, address.port),
                                  timeout=10) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        answer = b''
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, text = answer.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = dict(line.split(': ', 1) for line in lines[1:])
    assert b'Traceback' not in text
    return int(lines[0].split()[1]), headers.get('X-OpenStack-Request-Id')


def test_a_malformed_chunked_body_is_400(api):
    before = all_hosts(api)
    status, request_id = raw_exchange(
        api, 'POST /v1/hosts HTTP/1.1\r\nTransfer-Encoding: chunked\r\n',
        b'zz\r\n{}\r\n0\r\n\r\n')
    assert status == 400
    assert request_id.startswith('req-')
    assert all_hosts(api) == before


def test_a_body_shorter_than_its_content_length_is_400_not_500(api):
    before = all_hosts(api)
    status, request_id = raw_exchange(
        api, 'POST /v1/hosts HTTP/1.1\r\nContent-Length: 100\r\n'
        'Content-Type: application/json\r\n', b'{"name": ')
    assert status == 400
    # The operator's log says so too: a 400, no traceback.
    [line] = access_lines(api, request_id)
    assert 'status: 400' in line
    assert 'Traceback' not in api.log().split(request_id, 1)[1]
    assert all_hosts(api) == before


# -- query strings ----------------------------------------------------------

@pytest.mark.parametrize('query', ['name=%ff', 'trait=%c3%28', '%ff=x'],
                         ids=['value', 'truncated sequence', 'name'])
def test_a_query_string_that_is_not_utf8_is_400(api, query):
    response = call(api, 'GET', '/v1/hosts?' + query)
    assert_error(response, 400, 'sora.invalid_request')


# -- routing ----------------------------------------------------------------

@pytest.mark.parametrize('path', [
    '/v2', '/v1', '/v1/', '/v1/nope', '/v1/hosts/', '/hosts',
    '/v1/hosts/%s/nope' % UNKNOWN_ID, '/v1/hosts/%ff'])
def test_an_unknown_path_is_404(api, path):
    response = call(api, 'GET', path)
    assert_error(response, 404, 'sora.not_found')


@pytest.mark.parametrize('method,path,allowed', [
    ('DELETE', '/v1/hosts', {'GET', 'POST'}),
    ('PUT', '/v1/hosts', {'GET', 'POST'}),
    ('PATCH', '/v1/hosts/{id}', {'GET', 'PUT', 'DELETE'}),
    ('POST', '/v1/hosts/{id}', {'GET', 'PUT', 'DELETE'}),
    ('GET', '/v1/hosts/{id}/heartbeat', {'POST'}),
    ('DELETE', '/v1/hosts/{id}/heartbeat', {'POST'}),
    ('POST', '/', {'GET'}),
    ('DELETE', '/healthcheck', {'GET'}),
])
def test_a_wrong_method_is_405_with_allow(api, target, method, path,
                                          allowed):
    before = all_hosts(api)
    response = call(api, method, path.format(id=target['id']))
    assert_error(response, 405, 'sora.method_not_allowed')
    assert {m.strip() for m in response.headers['Allow'].split(',')} \
        == allowed
    assert all_hosts(api) == before


# -- the access log ---------------------------------------------------------

def access_lines(api, request_id, timeout=5):
    """The access-log lines of ``request_id``, once it has one.

    The line is written when the server closes the response, which may be
    just after the client has read it.
    """
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in api.log().splitlines()
                 if 'sora_api.access' in line and request_id in line]
        if lines or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


@pytest.mark.parametrize('method,path,status', [
    ('GET', '/v1/hosts/{id}', 200),
    ('GET', '/v1/hosts?name=nobody&limit=5', 200),
    ('PUT', '/v1/hosts/{id}', 400),
    ('GET', '/v1/nope', 404),
])
def test_each_request_has_one_access_line_with_who_and_what(
        api, target, method, path, status):
    path = path.format(id=target['id'])
    response = call(api, method, path, data=b'[]' if method == 'PUT' else None)
    assert response.status_code == status
    request_id = response.headers['X-OpenStack-Request-Id']
    [line] = access_lines(api, request_id)
    assert '%s %s ' % (method, path) in line
    assert 'status: %d' % status in line
    assert 'len: %d' % len(response.content) in line
    assert 'request_id: %s' % request_id in line
    assert 'user: admin-user' in line
    assert 'project: admin-project' in line
    assert api.tokens['admin'] not in api.log()


def test_a_refused_token_is_logged_without_its_secret(api):
    secret = 'sekrit-%s' % uuid.uuid4()
    response = call(api, 'GET', '/v1/hosts', as_=None, token=secret)
    assert_error(response, 401, 'sora.unauthorized')
    [line] = access_lines(api, response.headers['X-OpenStack-Request-Id'])
    assert 'status: 401' in line
    assert 'user: - project: -' in line
    assert secret not in api.log()


def test_no_token_secret_ever_reaches_the_log(api):
    for who in ('admin', 'member', 'reader', 'other', 'norole'):
        call(api, 'GET', '/v1/hosts', as_=who)
    log = api.log()
    for secret in api.tokens.values():
        assert secret not in log
