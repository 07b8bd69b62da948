"""``POST /v1/schedules/{id}/resize`` against a running server."""

import pytest

from tests.functional import invariants
from tests.functional.placements import create
from tests.functional.placements import make_host
from tests.functional.server import assert_error
from tests.functional.test_concurrency import TIMEOUT
from tests.functional.test_concurrency import all_at_once

OPTIONS = {'api': {'workers': 2}}


@pytest.fixture
def server(start_server):
    return start_server(OPTIONS)


@pytest.fixture(scope='module')
def refusing(start_module_server):
    """A server for the refused resizes below, shared: each case checks
    its own schedule only. Its one host has room for every case's."""
    srv = start_module_server(OPTIONS)
    make_host(srv, 'h1', vcpus=64)
    return srv


def resize(srv, schedule, resources, **kwargs):
    return srv.request('POST', '/v1/schedules/%s/resize' % schedule['id'],
                       as_='member', json={'resources': resources}, **kwargs)


def show(srv, schedule):
    return srv.request('GET', '/v1/schedules/' + schedule['id'],
                       as_='member').json()['schedule']


def used(srv, host):
    return srv.usage(host['id'])['vcpus_used']


def test_a_host_with_room_for_the_difference_keeps_the_instance(server):
    host = make_host(server, 'h1')
    make_host(server, 'h2')
    schedule = create(server, vcpus=2)
    response = resize(server, schedule, {'VCPU': 6})
    assert response.status_code == 200, response.text
    resized = response.json()['schedule']
    assert resized['id'] == schedule['id']
    assert resized['resources'] == {'vcpus': 6}
    assert resized['allocations'] == schedule['allocations']
    assert resized['generation'] == 2
    assert used(server, host) == 6
    assert server.request('GET', '/v1/usages', as_='member').json()[
        'usage']['VCPU'] == 6
    invariants.check(server.database())


def test_shrinking_gives_the_difference_back(server):
    host = make_host(server, 'h1')
    schedule = create(server, vcpus=6, num_instances=1)
    response = resize(server, schedule, {'vcpus': 1})
    assert response.status_code == 200, response.text
    assert used(server, host) == 1
    invariants.check(server.database())


def test_without_room_in_place_the_instance_moves_and_all_fit(server):
    crowded = make_host(server, 'h1')
    create(server, vcpus=6)
    schedule = create(server, vcpus=2)
    roomy = make_host(server, 'h2', vcpus=16)
    response = resize(server, schedule, {'vcpus': 10})
    assert response.status_code == 200, response.text
    resized = response.json()['schedule']
    assert [a['host_name'] for a in resized['allocations']] == ['h2']
    assert (used(server, crowded), used(server, roomy)) == (6, 10)
    invariants.check(server.database())


def test_the_same_resources_are_200_and_change_nothing(server):
    make_host(server, 'h1')
    schedule = create(server, vcpus=2)
    response = resize(server, schedule, {'VCPU': 2, 'memory_mb': 0})
    assert response.status_code == 200, response.text
    assert response.json()['schedule'] == schedule
    assert show(server, schedule) == schedule


def test_nowhere_to_fit_is_409_and_changes_nothing(server):
    host = make_host(server, 'h1')
    schedule = create(server, vcpus=2, num_instances=2)
    response = resize(server, schedule, {'vcpus': 6})
    error = assert_error(response, 409, 'sora.no_valid_host')
    assert 'explanation' in error
    assert show(server, schedule) == schedule
    assert used(server, host) == 4
    invariants.check(server.database())


def test_the_difference_counts_against_quota(server):
    make_host(server, 'h1', vcpus=64)
    response = server.request('PUT', '/v1/quotas/project-a', as_='admin',
                              json={'limits': {'VCPU': 8}})
    assert response.status_code == 200, response.text
    schedule = create(server, vcpus=2, num_instances=2)
    assert_error(resize(server, schedule, {'vcpus': 5}), 403,
                 'sora.over_quota')
    assert show(server, schedule) == schedule
    response = resize(server, schedule, {'vcpus': 4})
    assert response.status_code == 200, response.text
    invariants.check(server.database())


@pytest.mark.parametrize('body', [
    {}, {'resources': {}}, {'resources': {'vcpus': 0}},
    {'resources': {'vcpus': -1}}, {'resources': {'vcpus': 1}, 'x': 1},
    {'resources': {'CUSTOM_NOPE': 1}}, {'resources': {'vcpus': 1,
                                                      'VCPU': 2}}])
def test_bad_input_is_400_and_changes_nothing(refusing, body):
    server = refusing
    schedule = create(server)
    response = server.request(
        'POST', '/v1/schedules/%s/resize' % schedule['id'], as_='member',
        json=body)
    assert_error(response, 400, 'sora.invalid_request')
    assert show(server, schedule) == schedule


def test_a_stale_if_match_is_412(server):
    make_host(server, 'h1')
    schedule = create(server)
    assert_error(resize(server, schedule, {'vcpus': 3},
                        headers={'If-Match': '"9"'}), 412, 'sora.conflict')
    assert show(server, schedule) == schedule


def test_a_resize_racing_a_claim_for_the_last_room_never_overcommits(
        server):
    host = make_host(server, 'h1')
    for _ in range(5):
        schedule = create(server, vcpus=2)
        calls = [lambda s=schedule: resize(server, s, {'vcpus': 6},
                                           timeout=TIMEOUT),
                 lambda: server.request(
                     'POST', '/v1/schedules', as_='member', timeout=TIMEOUT,
                     json={'resources': {'vcpus': 4}})]
        first, second = all_at_once(2, lambda i, calls=calls: calls[i]())
        assert {first.status_code, second.status_code} <= {200, 201, 409}
        # Exactly one of them got the last 4 vCPUs.
        assert (first.status_code == 200) != (second.status_code == 201), (
            first.text, second.text)
        assert used(server, host) == 6
        invariants.check(server.database())
        for listed in server.request('GET', '/v1/schedules',
                                     as_='member').json()['schedules']:
            server.request('DELETE', '/v1/schedules/' + listed['id'],
                           as_='member')
