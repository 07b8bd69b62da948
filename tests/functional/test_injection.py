"""Hostile input: SQL injection, deep JSON, huge numbers, unicode names.

Every filter, marker, limit and path parameter of ``/v1/hosts`` and
``/v1/schedules`` is fed SQL injection attempts. Each answer is a 400 in the
contract's shape or an empty result, never a 5xx, and the database is the
same afterwards. Bodies with nesting, numbers and text at and past the edges
are refused with 400 or accepted and returned exactly.

The module has a server of its own (one per xdist worker), so the row
counts before and after each test are its own.
"""

import hashlib
import json
import unicodedata
import urllib.parse
import uuid

import pytest
import requests
import sqlalchemy as sa

from sora_api.db import models
from tests.functional import server as sora_server
from tests.functional.server import assert_error

ZONE = 'inject-zone'
JSON = {'Content-Type': 'application/json'}

SQL_INJECTIONS = [
    "' OR 1=1--",
    "' OR '1'='1",
    "') OR ('1'='1",
    '" OR ""="',
    '"; DROP TABLE hosts;--',
    "'; DROP TABLE schedules; --",
    "1; DELETE FROM allocations",
    "' UNION SELECT token_hash, 1, 1 FROM tokens--",
    "admin'--",
    "' OR 1=1#",
    "1 OR 1=1",
    "%",
    "_",
    "%' OR name LIKE '%",
    "\\",
    "\\'; --",
    "\u2019 OR 1=1--",          # right single quotation mark
    "\uff07 OR \uff071\uff07=\uff071",  # fullwidth apostrophes
    "\u02bc OR 1=1--",          # modifier letter apostrophe
    "$ne",
    '{"$gt": ""}',
    "*",
]
# Sent raw in the query string: percent-encoded NULs and friends.
RAW_INJECTIONS = ['%00', "%27%00%20OR%201=1--", 'a%00b', '%27%20OR%201%3D1',
                  '%C0%27', '%E2%80%AE']

TABLES = (models.Host, models.HostTrait, models.HostMetadata,
          models.Schedule, models.Allocation, models.Token)


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    """A server of its own with hosts and schedules to keep intact."""
    server = sora_server.SoraServer(tmp_path_factory.mktemp('inject'))
    server.start()
    server.hosts = []
    for n in range(3):
        response = server.request('POST', '/v1/hosts', as_='admin', json={
            'name': 'keep-%d' % n, 'availability_zone': ZONE, 'vcpus': 32,
            'memory_mb': 65536, 'disk_gb': 1000, 'traits': ['CUSTOM_KEEP'],
            'metadata': {'keep': 'me'}})
        assert response.status_code == 201, response.text
        server.hosts.append(response.json()['host'])
    server.schedules = []
    for who in ('member', 'other'):
        response = server.request('POST', '/v1/schedules', as_=who, json={
            'resources': {'vcpus': 1, 'memory_mb': 512},
            'availability_zone': ZONE, 'hints': {'group': 'keep'}})
        assert response.status_code == 201, response.text
        server.schedules.append(response.json()['schedule'])
    yield server
    server.cleanup()


@pytest.fixture
def intact(srv):
    """The rows and the seeded resources are unchanged by the test."""
    before = srv.row_counts(TABLES)
    yield
    assert srv.row_counts(TABLES) == before
    for host in srv.hosts:
        response = srv.request('GET', '/v1/hosts/%s' % host['id'],
                               as_='admin')
        assert response.status_code == 200, response.text
        assert response.json()['host']['name'] == host['name']
    for schedule in srv.schedules:
        response = srv.request('GET', '/v1/schedules/%s' % schedule['id'],
                               as_='admin')
        assert response.status_code == 200, response.text
        assert (response.json()['schedule']['allocations']
                == schedule['allocations'])


def no_server_error(response):
    assert response.status_code < 500, response.text
    for text in ('Traceback', 'File "', 'sqlalchemy', 'psycopg',
                 'OperationalError', 'IntegrityError'):
        assert text not in response.text, response.text
    return response


def raw_get(server, path, query, as_='admin'):
    """GET with ``query`` sent exactly as written, no re-encoding."""
    session = requests.Session()
    request = requests.Request(
        'GET', server.url + path,
        headers={'X-Auth-Token': server.tokens[as_]}).prepare()
    request.url = server.url + path + '?' + query
    return no_server_error(session.send(request, timeout=30))


def refused_or_empty(response, key):
    """400 in the contract's shape, or a 200 with nothing in it."""
    no_server_error(response)
    if response.status_code == 400:
        assert_error(response, 400, 'sora.invalid_request')
    else:
        assert response.status_code == 200, response.text
        assert response.json() == {key: []}


# -- query parameters ------------------------------------------------------

# Filters whose values are free text: an injection is a name nobody has.
TEXT_FILTERS = {'/v1/hosts': ('name', 'availability_zone'),
                '/v1/schedules': ('group',)}
# Filters with a closed syntax: an injection is refused at the door.
CLOSED_FILTERS = {'/v1/hosts': ('enabled', 'status', 'trait', 'marker',
                                'limit'),
                  '/v1/schedules': ('status', 'host_id', 'all_projects',
                                    'marker', 'limit')}
KEYS = {'/v1/hosts': 'hosts', '/v1/schedules': 'schedules'}


def _params(table):
    return [(path, name) for path, names in table.items() for name in names]


@pytest.mark.parametrize('path,name', _params(TEXT_FILTERS))
def test_an_injection_in_a_text_filter_matches_nothing(srv, intact, path,
                                                       name):
    for payload in SQL_INJECTIONS:
        response = no_server_error(srv.request(
            'GET', path, as_='admin', params={name: payload}))
        assert response.status_code == 200, (payload, response.text)
        assert response.json() == {KEYS[path]: []}, payload
    for payload in RAW_INJECTIONS:
        refused_or_empty(raw_get(srv, path, '%s=%s' % (name, payload)),
                         KEYS[path])


@pytest.mark.parametrize('path,name', _params(CLOSED_FILTERS))
def test_an_injection_in_a_closed_parameter_is_400(srv, intact, path, name):
    for payload in SQL_INJECTIONS:
        for who in ('admin', 'member'):
            response = no_server_error(srv.request(
                'GET', path, as_=who, params={name: payload}))
            if response.status_code == 403:
                # Hosts are admin-only: refused before the query is read.
                assert path == '/v1/hosts' and who == 'member'
            elif name == 'trait' and payload == '_':
                # "_" is a well-formed trait name that no host has.
                assert response.json() == {'hosts': []}
            else:
                assert_error(response, 400, 'sora.invalid_request')
    for payload in RAW_INJECTIONS:
        assert_error(raw_get(srv, path, '%s=%s' % (name, payload)),
                     400, 'sora.invalid_request')


@pytest.mark.parametrize('path', sorted(KEYS))
def test_an_injection_in_a_parameter_name_is_400(srv, intact, path):
    for payload in SQL_INJECTIONS[:8]:
        response = srv.request('GET', path, as_='admin',
                               params={payload: 'x'})
        assert_error(no_server_error(response), 400, 'sora.invalid_request')


def test_an_injection_after_a_valid_filter_value_is_400(srv, intact):
    # A valid value followed by more SQL is still one (odd) value.
    response = raw_get(srv, '/v1/hosts',
                       'enabled=true%27%20OR%20%271%27=%271')
    assert_error(response, 400, 'sora.invalid_request')
    response = raw_get(srv, '/v1/hosts', 'limit=1%20OR%201=1')
    assert_error(response, 400, 'sora.invalid_request')
    response = raw_get(srv, '/v1/hosts', 'name=keep-0%27--')
    assert response.json() == {'hosts': []}


def test_a_text_filter_matches_its_value_exactly_not_as_a_pattern(
        srv, intact):
    for pattern in ('keep-%', 'keep-_', 'KEEP-0', 'keep-0 ', ' keep-0'):
        response = srv.request('GET', '/v1/hosts', as_='admin',
                               params={'name': pattern})
        assert response.json() == {'hosts': []}, pattern
    response = srv.request('GET', '/v1/hosts', as_='admin',
                           params={'name': 'keep-0'})
    assert [h['name'] for h in response.json()['hosts']] == ['keep-0']


# -- path parameters -------------------------------------------------------

PATHS = [('GET', '/v1/hosts/%s'), ('PUT', '/v1/hosts/%s'),
         ('DELETE', '/v1/hosts/%s'), ('POST', '/v1/hosts/%s/heartbeat'),
         ('GET', '/v1/schedules/%s'), ('DELETE', '/v1/schedules/%s')]


@pytest.mark.parametrize('method,template', PATHS)
def test_an_injection_in_a_path_id_is_404(srv, intact, method, template):
    body = {'enabled': False} if method == 'PUT' else None
    real = srv.hosts[0]['id']
    payloads = SQL_INJECTIONS + [real + "' OR '1'='1", real + '%00',
                                 real + '/..', "%s' OR 1=1--" % real]
    for payload in payloads:
        quoted = urllib.parse.quote(payload, safe='')
        response = no_server_error(srv.request(
            method, template % quoted, as_='admin', json=body))
        assert_error(response, 404, 'sora.not_found')
    for payload in ('%00', real + '%00', '%27%20OR%201=1--'):
        session = requests.Session()
        request = requests.Request(
            method, srv.url + '/', json=body,
            headers={'X-Auth-Token': srv.tokens['admin']}).prepare()
        request.url = srv.url + template % payload
        response = no_server_error(session.send(request, timeout=30))
        assert_error(response, 404, 'sora.not_found')


# -- text in bodies is stored as data --------------------------------------

@pytest.mark.parametrize('payload', SQL_INJECTIONS)
def test_an_injection_as_a_host_name_is_stored_as_plain_text(srv, payload):
    before = srv.row_counts(TABLES)['hosts']
    response = no_server_error(srv.request(
        'POST', '/v1/hosts', as_='admin', json={
            'name': payload, 'availability_zone': payload, 'vcpus': 1,
            'memory_mb': 1, 'disk_gb': 1, 'metadata': {payload: payload}}))
    assert response.status_code == 201, response.text
    host = response.json()['host']
    try:
        assert (host['name'], host['availability_zone']) == (payload,
                                                             payload)
        assert host['metadata'] == {payload: payload}
        found = srv.request('GET', '/v1/hosts', as_='admin',
                            params={'name': payload}).json()['hosts']
        assert [h['id'] for h in found] == [host['id']]
        assert srv.row_counts(TABLES)['hosts'] == before + 1
    finally:
        assert srv.request('DELETE', '/v1/hosts/%s' % host['id'],
                           as_='admin').status_code == 204


def test_injections_in_schedule_fields_are_data(srv, intact):
    for payload in SQL_INJECTIONS:
        body = {'resources': {'vcpus': 1}, 'availability_zone': payload,
                'metadata': {payload: payload},
                'hints': {'group': payload, 'ignore_hosts': [payload]},
                'dry_run': True}
        response = no_server_error(srv.request(
            'POST', '/v1/schedules', as_='member', json=body,
            headers={'Idempotency-Key': payload.encode('utf-8')}))
        assert response.status_code == 200, (payload, response.text)
        assert response.json()['candidates'] == []
        body['availability_zone'] = ZONE
        body['hints'] = {'force_hosts': [payload]}
        response = no_server_error(srv.request(
            'POST', '/v1/schedules', as_='member', json=body))
        assert response.json()['candidates'] == []
        # In the JsonFilter language a string starting with "$" names a
        # variable, so "$ne" is an unknown variable (400), not SQL.
        body['hints'] = {'query': ['=', '$name', payload]}
        refused_or_empty_candidates(no_server_error(srv.request(
            'POST', '/v1/schedules', as_='member', json=body)))


def refused_or_empty_candidates(response):
    if response.status_code == 400:
        assert_error(response, 400, 'sora.invalid_request')
    else:
        assert response.status_code == 200, response.text
        assert response.json()['candidates'] == []


def test_an_injection_as_a_token_is_401(srv, intact):
    for payload in SQL_INJECTIONS + ['%', '*', srv.tokens['admin'] + "'--"]:
        response = no_server_error(srv.request(
            'GET', '/v1/hosts', token=payload.encode('utf-8')))
        assert_error(response, 401, 'sora.unauthorized')


# -- JSON at and past the edges ---------------------------------------------

def post_raw(server, path, text, as_='admin'):
    return no_server_error(server.request(
        'POST', path, as_=as_, data=text.encode('utf-8'), headers=JSON))


def host_body(**fields):
    body = {'name': 'edge-%s' % uuid.uuid4(), 'vcpus': 1, 'memory_mb': 1,
            'disk_gb': 1}
    body.update(fields)
    return body


@pytest.mark.parametrize('depth', [64, 1000, 100000])
def test_over_deep_json_is_400(srv, intact, depth):
    deep_list = '[' * depth + ']' * depth
    deep_object = '{"a":' * depth + '1' + '}' * depth
    for path, text in [
            ('/v1/hosts', '{"name": "deep", "vcpus": 1, "memory_mb": 1, '
                          '"disk_gb": 1, "metadata": %s}' % deep_object),
            ('/v1/hosts', deep_list),
            ('/v1/schedules', '{"resources": {"vcpus": 1}, "hints": '
                              '{"query": %s}}' % deep_list),
            ('/v1/schedules', '{"resources": {"vcpus": 1}, "hints": '
                              '{"query": ["and", %s]}}' % deep_object)]:
        response = post_raw(srv, path, text,
                            as_='member' if 'schedules' in path else 'admin')
        assert_error(response, 400, 'sora.invalid_request')


def test_a_deep_but_valid_json_filter_query_is_answered(srv, intact):
    query = ['=', '$name', 'keep-0']
    for _ in range(50):
        query = ['not', ['not', query]]
    response = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1}, 'availability_zone': ZONE,
        'hints': {'query': query}, 'dry_run': True})
    no_server_error(response)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        names = [c['host_name'] for c in response.json()['candidates']]
        assert names == ['keep-0']


HUGE_NUMBERS = ['1e308', '1e309', '-1e309', '1E400', '10' + '0' * 19,
                '9' * 5000, '-' + '9' * 5000, '0.1e-400', '2147483648',
                '-1', '1.0', '1.5', '-0.0', 'NaN', 'Infinity', '-Infinity',
                '0x10', '1_000', '+1', '01']


@pytest.mark.parametrize('number', HUGE_NUMBERS)
def test_a_huge_or_odd_number_for_a_count_is_400(srv, intact, number):
    text = ('{"name": "n-%s", "vcpus": %s, "memory_mb": 1, "disk_gb": 1}'
            % (uuid.uuid4(), number))
    assert_error(post_raw(srv, '/v1/hosts', text), 400,
                 'sora.invalid_request')
    text = '{"resources": {"vcpus": %s}}' % number
    assert_error(post_raw(srv, '/v1/schedules', text, as_='member'), 400,
                 'sora.invalid_request')
    text = ('{"resources": {"vcpus": 1}, "num_instances": %s, '
            '"dry_run": true}' % number)
    assert_error(post_raw(srv, '/v1/schedules', text, as_='member'), 400,
                 'sora.invalid_request')


@pytest.mark.parametrize('number', ['1e308', '1e309', '0', '-0', '-0.0',
                                    '1e-400', '-1e-10', '9' * 5000])
def test_an_out_of_range_ratio_is_400(srv, intact, number):
    text = json.dumps(host_body())[:-1] + ', "cpu_allocation_ratio": %s}' \
        % number
    assert_error(post_raw(srv, '/v1/hosts', text), 400,
                 'sora.invalid_request')


def test_minus_zero_is_zero_for_a_count(srv):
    body = json.dumps(host_body())[:-1] + ', "reserved_vcpus": -0}'
    response = post_raw(srv, '/v1/hosts', body)
    assert response.status_code == 201, response.text
    host = response.json()['host']
    assert host['reserved_vcpus'] == 0
    assert srv.request('DELETE', '/v1/hosts/%s' % host['id'],
                       as_='admin').status_code == 204


def test_the_largest_ratio_is_accepted_and_returned_exactly(srv):
    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=host_body(cpu_allocation_ratio=1e6,
                                          ram_allocation_ratio=1e-300))
    assert response.status_code == 201, response.text
    host = response.json()['host']
    assert host['cpu_allocation_ratio'] == 1e6
    assert host['ram_allocation_ratio'] == 1e-300
    assert srv.request('DELETE', '/v1/hosts/%s' % host['id'],
                       as_='admin').status_code == 204


@pytest.mark.parametrize('size', [256, 10000, 900000])
def test_a_name_longer_than_255_characters_is_400(srv, intact, size):
    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=host_body(name='n' * size))
    assert_error(no_server_error(response), 400, 'sora.invalid_request')
    response = srv.request('GET', '/v1/hosts', as_='admin',
                           params={'name': 'n' * min(size, 4000)})
    assert_error(no_server_error(response), 400, 'sora.invalid_request')


def test_a_very_long_query_string_is_refused_not_a_5xx(srv, intact):
    response = raw_get(srv, '/v1/hosts', 'name=' + 'x' * 20000)
    assert 400 <= response.status_code < 500


UNICODE_NAMES = {
    'emoji': '\U0001F680\U0001F525 compute \U0001F468\u200d\U0001F4BB',
    'rtl': '\u05e9\u05e8\u05ea-\u0645\u0636\u064a\u0641-1',
    'combining': 'e\u0301\u0302\u0303-Z\u0351\u0352\u0353\u0354\u0355',
    'cjk': '\u8a08\u7b97\u30ce\u30fc\u30c9',
    '255 four-byte': '\U0001F600' * 255,
    '255 mixed': ('\u00e9\u4e2d\U0001F600\u0627' * 64)[:255],
    'zero width': 'a\u200b\u200c\u200d\ufeffb',
    'noncharacter': 'x\ufffe\uffffy',
    'line separator': 'a\u2028b\u2029c',
}


@pytest.mark.parametrize('name', sorted(UNICODE_NAMES))
def test_a_unicode_name_is_accepted_and_returned_exactly(srv, name):
    # Exactly, but for host names, which are kept in NFC (issue 10).
    text = UNICODE_NAMES[name]
    response = srv.request('POST', '/v1/hosts', as_='admin', json=host_body(
        name=text, availability_zone=text, metadata={text: text}))
    assert response.status_code == 201, response.text
    host = response.json()['host']
    try:
        for got in (host, srv.request('GET', '/v1/hosts/%s' % host['id'],
                                      as_='admin').json()['host']):
            assert got['name'] == unicodedata.normalize('NFC', text)
            assert got['availability_zone'] == text
            assert got['metadata'] == {text: text}
        found = srv.request('GET', '/v1/hosts', as_='admin',
                            params={'name': text}).json()['hosts']
        assert [h['id'] for h in found] == [host['id']]
        # The same bytes again are the same name.
        response = srv.request('POST', '/v1/hosts', as_='admin',
                               json=host_body(name=text))
        assert_error(response, 409, 'sora.conflict')
    finally:
        assert srv.request('DELETE', '/v1/hosts/%s' % host['id'],
                           as_='admin').status_code == 204


def test_host_names_are_nfc_normalised(srv):
    # NOTE: "é" composed and "e" + combining acute look the same; as host
    # names they are one name, kept composed (see docs/security.md).
    composed, decomposed = '\u00e9-host', 'e\u0301-host'
    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=host_body(name=decomposed))
    assert response.status_code == 201, response.text
    host = response.json()['host']
    try:
        assert host['name'] == composed
        response = srv.request('POST', '/v1/hosts', as_='admin',
                               json=host_body(name=composed))
        assert_error(response, 409, 'sora.conflict')
        for name in (composed, decomposed):
            found = srv.request('GET', '/v1/hosts', as_='admin',
                                params={'name': name}).json()['hosts']
            assert [h['id'] for h in found] == [host['id']]
    finally:
        srv.request('DELETE', '/v1/hosts/%s' % host['id'], as_='admin')


def test_bidi_text_in_zones_and_metadata_is_kept_exactly(srv):
    # Only host names refuse bidi controls (issue 10); zones and metadata
    # keep any text as sent.
    text = '\u05e9\u05e8\u05ea-\u0645\u0636\u064a\u0641-\u202e1'
    response = srv.request('POST', '/v1/hosts', as_='admin', json=host_body(
        name='bidi-kept', availability_zone=text, metadata={text: text}))
    assert response.status_code == 201, response.text
    host = response.json()['host']
    try:
        assert host['availability_zone'] == text
        assert host['metadata'] == {text: text}
    finally:
        srv.request('DELETE', '/v1/hosts/%s' % host['id'], as_='admin')


@pytest.mark.parametrize('text', ['a\u202eb', 'a\u202ab', 'a\u2066b',
                                  'a\u2069b', 'a\u200eb', 'a\u200fb',
                                  'a\u061cb', 'a\x85b', 'a\x9bb'])
def test_bidi_and_c1_control_characters_in_a_host_name_are_400(srv, intact,
                                                               text):
    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=host_body(name=text))
    assert_error(no_server_error(response), 400, 'sora.invalid_request')
    response = srv.request('PUT', '/v1/hosts/%s' % srv.hosts[0]['id'],
                           as_='admin', json={'name': text})
    assert_error(no_server_error(response), 400, 'sora.invalid_request')


@pytest.mark.parametrize('text', ['a\x00b', '\x00', 'a\x1fb', 'a\nb',
                                  'a\x7fb'])
def test_control_characters_in_a_name_are_400(srv, intact, text):
    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=host_body(name=text))
    assert_error(no_server_error(response), 400, 'sora.invalid_request')


@pytest.mark.parametrize('escape', ['\\ud800', '\\udfff', '\\ud800\\u0041'])
def test_a_lone_surrogate_escape_is_400(srv, intact, escape):
    text = '{"name": "s%s", "vcpus": 1, "memory_mb": 1, "disk_gb": 1}' \
        % escape
    assert_error(post_raw(srv, '/v1/hosts', text), 400,
                 'sora.invalid_request')


def test_a_duplicate_json_key_takes_the_last_value(srv):
    # NOTE: RFC 8259 leaves duplicate names to the parser; Python's json, and
    # so Sora, keeps the last. Validation runs on what is kept, so no
    # duplicate can smuggle a value past the schema (docs/security.md).
    first, last = 'dup-first-%s' % uuid.uuid4(), 'dup-last-%s' % uuid.uuid4()
    text = ('{"name": "%s", "vcpus": 1, "memory_mb": 1, "disk_gb": 1, '
            '"name": "%s", "vcpus": 2}' % (first, last))
    response = post_raw(srv, '/v1/hosts', text)
    assert response.status_code == 201, response.text
    host = response.json()['host']
    assert (host['name'], host['vcpus']) == (last, 2)
    assert srv.request('DELETE', '/v1/hosts/%s' % host['id'],
                       as_='admin').status_code == 204
    # A bad last value is refused even if the first one was good.
    text = ('{"name": "%s", "vcpus": 1, "memory_mb": 1, "disk_gb": 1, '
            '"vcpus": -1}' % first)
    assert_error(post_raw(srv, '/v1/hosts', text), 400,
                 'sora.invalid_request')
    text = '{"resources": {"vcpus": 1}, "num_instances": 1, ' \
           '"num_instances": 100000, "dry_run": true}'
    assert_error(post_raw(srv, '/v1/schedules', text, as_='member'), 400,
                 'sora.invalid_request')


# -- ids in any case ---------------------------------------------------------

def test_an_upper_case_marker_is_the_same_marker(srv, intact):
    # Regression: the schema accepted A-F but the lookup was case-sensitive,
    # so an upper-case marker was "not found" while the path took it.
    hosts = srv.request('GET', '/v1/hosts', as_='admin',
                        params={'availability_zone': ZONE}).json()['hosts']
    first = hosts[0]['id']
    for marker in (first, first.upper()):
        response = srv.request('GET', '/v1/hosts', as_='admin', params={
            'availability_zone': ZONE, 'marker': marker})
        assert response.status_code == 200, response.text
        assert [h['id'] for h in response.json()['hosts']] == [
            h['id'] for h in hosts[1:]]
    schedule = srv.schedules[0]['id']
    for marker in (schedule, schedule.upper()):
        response = srv.request('GET', '/v1/schedules', as_='member',
                               params={'marker': marker})
        assert response.status_code == 200, response.text


def test_an_upper_case_host_id_filter_finds_the_schedules(srv, intact):
    # Regression: an upper-case host_id silently matched nothing.
    schedule = srv.schedules[0]
    host_id = schedule['allocations'][0]['host_id']
    for value in (host_id, host_id.upper()):
        response = srv.request('GET', '/v1/schedules', as_='member',
                               params={'host_id': value})
        assert [s['id'] for s in response.json()['schedules']] == [
            schedule['id']]


def test_upper_case_schedule_ids_in_hints_name_the_schedules(srv, intact):
    schedule = srv.schedules[0]
    [allocation] = schedule['allocations']
    response = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1}, 'availability_zone': ZONE,
        'hints': {'same_host': [schedule['id'].upper()]}, 'dry_run': True})
    assert response.status_code == 200, response.text
    assert [c['host_id'] for c in response.json()['candidates']] == [
        allocation['host_id']]


# -- secrets ---------------------------------------------------------------

def test_no_secret_reaches_a_debug_log_and_only_hashes_are_stored(
        start_server):
    server = start_server({'DEFAULT': {'debug': 'true'}})
    wrong = 'not-a-token-%s' % uuid.uuid4()
    for who in server.tokens:
        server.request('GET', '/v1/schedules', as_=who)
        server.request('POST', '/v1/schedules', as_=who, json={
            'resources': {'vcpus': 1}, 'dry_run': True})
    assert_error(server.request('GET', '/v1/hosts', token=wrong), 401,
                 'sora.unauthorized')
    log = server.log()
    assert 'request_id: req-' in log
    assert ' DEBUG ' in log
    for secret in list(server.tokens.values()) + [wrong]:
        assert secret not in log
    db = server.database()
    try:
        with db.reader() as session:
            stored = set(session.scalars(sa.select(models.Token.token_hash)))
    finally:
        db.engine.dispose()
    assert stored == {hashlib.sha256(s.encode()).hexdigest()
                      for s in server.tokens.values()}
