"""Moves racing each other and deletes over several workers: one database
decides, nothing is ever held twice or lost (checked after every race)."""

import collections

import pytest

from tests.functional import invariants
from tests.functional.placements import create
from tests.functional.placements import make_host
from tests.functional.test_concurrency import TIMEOUT
from tests.functional.test_concurrency import all_at_once


@pytest.fixture
def server(start_server):
    return start_server({'api': {'workers': 4}})


def make_hosts(srv, count, vcpus=8):
    for i in range(count):
        make_host(srv, 'h%d' % i, vcpus)


def test_concurrent_moves_of_one_schedule_each_move_it_whole(server):
    make_hosts(server, 6)
    schedule = create(server, num_instances=2)
    path = '/v1/schedules/%s/move' % schedule['id']
    responses = all_at_once(12, lambda i: server.request(
        'POST', path, as_='member', timeout=TIMEOUT))
    statuses = collections.Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, [r.text for r in responses]
    assert statuses[200] >= 1
    shown = server.request('GET', '/v1/schedules/' + schedule['id'],
                           as_='member').json()['schedule']
    assert shown['generation'] == 1 + statuses[200]
    invariants.check(server.database())


def test_moves_with_if_match_racing_let_exactly_one_through(server):
    make_hosts(server, 6)
    schedule = create(server)
    path = '/v1/schedules/%s/move' % schedule['id']
    responses = all_at_once(12, lambda i: server.request(
        'POST', path, as_='member', headers={'If-Match': '"1"'},
        timeout=TIMEOUT))
    statuses = collections.Counter(r.status_code for r in responses)
    assert statuses == {200: 1, 412: 11}, [r.text for r in responses]
    invariants.check(server.database())


def test_a_move_racing_a_delete_leaves_nothing_behind(server):
    make_hosts(server, 4)
    for _ in range(8):
        schedule = create(server, num_instances=2)
        path = '/v1/schedules/' + schedule['id']
        calls = [('POST', path + '/move'), ('DELETE', path)]
        responses = all_at_once(2, lambda i, calls=calls: server.request(
            *calls[i], as_='member', timeout=TIMEOUT))
        assert responses[1].status_code == 204, responses[1].text
        assert responses[0].status_code in (200, 404), responses[0].text
        invariants.check(server.database())
    listed = server.request('GET', '/v1/schedules', as_='member').json()
    assert listed['schedules'] == []
    for host in server.request('GET', '/v1/hosts',
                               as_='admin').json()['hosts']:
        assert host['instances'] == 0
