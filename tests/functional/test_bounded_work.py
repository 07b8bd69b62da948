"""Bounded work and size per request (issue 10, item 3, and its table).

Each test is a row of the issue's table: it failed against the server
before the fix. The module has a server of its own, so the row counts it
compares are its own; in the PostgreSQL pass it runs on PostgreSQL.
"""

import json
import socket

import pytest

from sora_api.db import models
from tests.functional import server as sora_server
from tests.functional.server import assert_error

ZONE = 'bounded-zone'
TABLES = (models.Host, models.Schedule, models.Allocation,
          models.ScheduleGroup, models.IdempotencyKey)


@pytest.fixture(scope='module')
def srv(tmp_path_factory):
    server = sora_server.SoraServer(tmp_path_factory.mktemp('bounded'))
    server.start()
    server.hosts = []
    for n in range(4):
        response = server.request('POST', '/v1/hosts', as_='admin', json={
            'name': 'bounded-%d' % n, 'availability_zone': ZONE,
            'vcpus': 64, 'memory_mb': 262144, 'disk_gb': 1000})
        assert response.status_code == 201, response.text
        server.hosts.append(response.json()['host'])
    yield server
    server.cleanup()


@pytest.fixture
def unchanged(srv):
    before = srv.row_counts(TABLES)
    yield
    assert srv.row_counts(TABLES) == before


def schedule(srv, as_='member', **fields):
    body = {'resources': {'vcpus': 1, 'memory_mb': 64},
            'availability_zone': ZONE}
    body.update(fields)
    return srv.request('POST', '/v1/schedules', as_=as_, json=body)


def post_raw(srv, text, as_='member', headers=None):
    return srv.request('POST', '/v1/schedules', as_=as_,
                       data=text.encode('utf-8'),
                       headers=dict(headers or {},
                                    **{'Content-Type': 'application/json'}))


def test_a_1000_term_query_is_400_and_claims_nothing(srv, unchanged):
    query = ['or'] + [['>=', '$free_ram_mb', n] for n in range(1000)]
    for dry_run in (True, False):
        response = schedule(srv, hints={'query': query}, dry_run=dry_run)
        error = assert_error(response, 400, 'sora.invalid_request')
        assert 'more than 64 terms' in error['detail']


def test_a_query_at_the_term_cap_is_accepted(srv):
    query = ['or'] + [['>=', '$free_ram_mb', 0]] * 21  # 63 terms
    response = schedule(srv, hints={'query': query}, dry_run=True)
    assert response.status_code == 200, response.text
    assert len(response.json()['candidates']) == len(srv.hosts)


@pytest.mark.parametrize('size', [256, 100000, 1000000])
def test_a_long_string_in_a_query_is_400(srv, unchanged, size):
    response = schedule(srv, hints={'query': ['=', '$name', 'x' * size]})
    error = assert_error(response, 400, 'sora.invalid_request')
    assert 'longer than 255' in error['detail']


def test_a_request_too_large_to_keep_is_400(srv, unchanged):
    # 1000 names of 200 characters: well inside the body limit and each
    # list's own caps, but 200 kB to keep with the schedule.
    names = ['n%03d-%s' % (n, 'x' * 195) for n in range(1000)]
    response = schedule(srv, hints={'ignore_hosts': names})
    error = assert_error(response, 400, 'sora.invalid_request')
    assert 'max_schedule_request_size' in error['detail']


def test_list_answers_leave_out_bulky_hints_and_show_keeps_them(srv):
    """200 schedules with 1 MB query strings made a 200 MB admin list.

    Now a query string is at most 255 characters and the list answer leaves
    list-valued hints out; the full request stays on GET /v1/schedules/{id}.
    """
    query = ['or', ['>=', '$free_ram_mb', 0]] + [
        ['=', '$name', 'q%02d-%s' % (n, 'y' * 250)] for n in range(20)]
    hints = {'group': 'bulky', 'group_policy': 'soft-anti-affinity',
             'query': query, 'ignore_hosts': ['z' * 255] * 1,
             'force_hosts': [h['name'] for h in srv.hosts]}
    ids = []
    for _ in range(20):
        response = schedule(srv, as_='other', hints=hints)
        assert response.status_code == 201, response.text
        created = response.json()['schedule']
        assert created['hints'] == hints
        ids.append(created['id'])
    try:
        response = srv.request('GET', '/v1/schedules', as_='admin',
                               params={'all_projects': 'true',
                                       'group': 'bulky'})
        assert response.status_code == 200, response.text
        listed = response.json()['schedules']
        assert sorted(s['id'] for s in listed) == sorted(ids)
        for item in listed:
            assert item['hints'] == {'group': 'bulky',
                                     'group_policy': 'soft-anti-affinity'}
            assert item['allocations'] and item['resources']
        # Each request stored is ~6 kB; the list carries none of it.
        assert len(response.content) < 20 * 1024, len(response.content)
        shown = srv.request('GET', '/v1/schedules/%s' % ids[0], as_='other')
        assert shown.json()['schedule']['hints'] == hints
    finally:
        for schedule_id in ids:
            srv.request('DELETE', '/v1/schedules/%s' % schedule_id,
                        as_='other')


def group_rows(srv):
    return srv.row_counts([models.ScheduleGroup])['schedule_groups']


def test_a_groups_row_goes_with_its_last_schedule(srv):
    before = group_rows(srv)
    for cycle in range(10):
        group = 'cycle-%d' % cycle
        made = []
        for _ in range(2):
            response = schedule(srv, hints={
                'group': group, 'group_policy': 'anti-affinity'})
            assert response.status_code == 201, response.text
            made.append(response.json()['schedule']['id'])
        assert group_rows(srv) == before + 1
        assert srv.request('DELETE', '/v1/schedules/%s' % made[0],
                           as_='member').status_code == 204
        # One member left: the group (and its policy) lives on.
        assert group_rows(srv) == before + 1
        assert srv.request('DELETE', '/v1/schedules/%s' % made[1],
                           as_='member').status_code == 204
        assert group_rows(srv) == before


NON_FINITE = ['1e400', '-1e400', '1E+999', 'NaN', 'Infinity', '-Infinity']


@pytest.mark.parametrize('number', NON_FINITE)
def test_a_non_finite_number_in_a_query_is_400(srv, unchanged, number):
    for dry_run in ('true', 'false'):
        text = ('{"resources": {"vcpus": 1}, "availability_zone": "%s", '
                '"hints": {"query": [">=", "$free_ram_mb", %s]}, '
                '"dry_run": %s}' % (ZONE, number, dry_run))
        response = post_raw(srv, text)
        assert_error(response, 400, 'sora.invalid_request')
    # Every list answer is still JSON a strict parser takes.
    response = srv.request('GET', '/v1/schedules', as_='admin',
                           params={'all_projects': 'true'})
    assert response.status_code == 200, response.text
    json.loads(response.text, parse_constant=_refuse)


@pytest.mark.parametrize('number', NON_FINITE)
def test_a_non_finite_number_in_a_host_is_400(srv, unchanged, number):
    text = ('{"name": "nf", "vcpus": 1, "memory_mb": 1, "disk_gb": 1, '
            '"cpu_allocation_ratio": %s}' % number)
    response = srv.request('POST', '/v1/hosts', as_='admin',
                           data=text.encode(),
                           headers={'Content-Type': 'application/json'})
    assert_error(response, 400, 'sora.invalid_request')
    response = srv.request('PUT', '/v1/hosts/%s' % srv.hosts[0]['id'],
                           as_='admin', data=text.replace(
                               '"name": "nf", ', '').encode(),
                           headers={'Content-Type': 'application/json'})
    assert_error(response, 400, 'sora.invalid_request')


def _refuse(name):
    raise ValueError('%s in a response' % name)


@pytest.mark.parametrize('digits', [19, 4301, 5000])
def test_a_huge_numeric_if_match_is_412_and_changes_nothing(srv, digits):
    host = srv.hosts[0]
    response = srv.request('PUT', '/v1/hosts/%s' % host['id'], as_='admin',
                           json={'io_ops': 3},
                           headers={'If-Match': '"%s"' % ('7' * digits)})
    assert_error(response, 412, 'sora.conflict')
    now = srv.request('GET', '/v1/hosts/%s' % host['id'], as_='admin')
    assert now.json()['host']['io_ops'] == host['io_ops']


def raw_post(srv, key):
    """POST /v1/schedules with ``key`` (bytes) as Idempotency-Key, raw."""
    body = json.dumps({'resources': {'vcpus': 1},
                       'availability_zone': ZONE}).encode()
    host, port = srv.url[len('http://'):].split(':')
    head = (b'POST /v1/schedules HTTP/1.1\r\nHost: %s\r\n'
            b'X-Auth-Token: %s\r\nContent-Type: application/json\r\n'
            b'Idempotency-Key: %s\r\nContent-Length: %d\r\n'
            b'Connection: close\r\n\r\n'
            % (host.encode(), srv.tokens['member'].encode(), key, len(body)))
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head + body)
        answer = b''
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    return int(answer.split(b' ', 2)[1]), answer


@pytest.mark.parametrize('key', [b'a\x00b', b'\x00', b'a\x01b', b'a\x7fb',
                                 b'a\x1bb'])
def test_a_control_character_in_an_idempotency_key_is_400(srv, unchanged,
                                                          key):
    status, answer = raw_post(srv, key)
    # 400 from Sora, or from a stricter HTTP layer in front of it: never a
    # 5xx, never a schedule.
    assert status == 400, answer
