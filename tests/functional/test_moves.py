"""``POST /v1/schedules/{id}/move`` against a running server.

Every test confines its hosts to an availability zone of its own, so tests
sharing the session's server never place on one another's hosts.
"""

import pytest

from tests.functional import invariants
from tests.functional.server import assert_error


@pytest.fixture
def zone(unique):
    return unique('az')


@pytest.fixture
def hosts(make_host, zone):
    """Three hosts of 8 vCPUs in the test's zone, by name."""
    made = [make_host(availability_zone=zone, cpu_allocation_ratio=1.0)
            for _ in range(3)]
    return {h['name']: h for h in made}


def create(api, zone, vcpus=2, num_instances=1, **extra):
    response = api.request('POST', '/v1/schedules', as_='member', json=dict(
        {'resources': {'vcpus': vcpus}, 'num_instances': num_instances,
         'availability_zone': zone}, **extra))
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def move(api, schedule, body=None, **kwargs):
    return api.request('POST', '/v1/schedules/%s/move' % schedule['id'],
                       as_='member', json=body, **kwargs)


def show(api, schedule):
    response = api.request('GET', '/v1/schedules/' + schedule['id'],
                           as_='member')
    assert response.status_code == 200, response.text
    return response.json()['schedule']


def placed(schedule):
    return [a['host_name'] for a in schedule['allocations']]


def vcpus_used(api, hosts):
    return {name: api.usage(h['id'])['vcpus_used']
            for name, h in hosts.items()}


def test_one_instance_moves_to_another_host_and_the_rest_stays(
        api, hosts, zone):
    schedule = create(api, zone, num_instances=2,
                      hints={'group': zone, 'group_policy': 'anti-affinity'})
    response = move(api, schedule, {'instance_index': 1})
    assert response.status_code == 200, response.text
    moved = response.json()['schedule']
    before, after = placed(schedule), placed(moved)
    assert after[0] == before[0]
    assert after[1] not in before
    assert moved['id'] == schedule['id']
    assert moved['generation'] == schedule['generation'] + 1
    assert response.headers['ETag'] == '"%d"' % moved['generation']
    used = vcpus_used(api, hosts)
    assert used == {name: 2 if name in after else 0 for name in hosts}
    assert show(api, schedule) == moved


def test_without_an_index_every_instance_moves(api, hosts, zone):
    schedule = create(api, zone, num_instances=2)
    response = api.request('POST', '/v1/schedules/%s/move' % schedule['id'],
                           as_='member')
    assert response.status_code == 200, response.text
    moved = response.json()['schedule']
    assert not set(placed(moved)) & set(placed(schedule))
    assert sum(vcpus_used(api, hosts).values()) == 4


def test_the_target_needs_room_only_for_what_moves(api, make_host, zone):
    full = [make_host(availability_zone=zone, vcpus=8,
                      cpu_allocation_ratio=1.0) for _ in range(2)]
    schedule = create(api, zone, vcpus=8)
    response = move(api, schedule, {'instance_index': 0})
    assert response.status_code == 200, response.text
    [source] = placed(schedule)
    [target] = placed(response.json()['schedule'])
    assert target != source
    by_name = {h['name']: h for h in full}
    assert api.usage(by_name[source]['id'])['vcpus_used'] == 0
    assert api.usage(by_name[target]['id'])['vcpus_used'] == 8


def test_ignore_hosts_and_the_schedules_zone_are_respected(
        api, hosts, make_host, zone):
    make_host(availability_zone=zone + '-elsewhere')
    schedule = create(api, zone)
    [source] = placed(schedule)
    ignored = sorted(set(hosts) - {source})[0]
    response = move(api, schedule, {'ignore_hosts': [ignored]})
    assert response.status_code == 200, response.text
    [target] = placed(response.json()['schedule'])
    assert target in set(hosts) - {source, ignored}


def test_a_group_policy_holds_after_the_move(api, hosts, zone):
    group = {'group': zone, 'group_policy': 'anti-affinity'}
    first = create(api, zone, hints=group)
    second = create(api, zone, hints=group)
    response = move(api, first)
    assert response.status_code == 200, response.text
    [target] = placed(response.json()['schedule'])
    assert target not in placed(first) + placed(second)


def test_nothing_fitting_is_409_with_the_funnel_and_changes_nothing(
        api, make_host, zone):
    only = make_host(availability_zone=zone)
    schedule = create(api, zone)
    response = move(api, schedule)
    error = assert_error(response, 409, 'sora.no_valid_host')
    assert error['explanation']
    assert show(api, schedule) == schedule
    assert api.usage(only['id'])['vcpus_used'] == 2


@pytest.mark.parametrize('body', [
    {'instance_index': 2}, {'instance_index': -1},
    {'instance_index': '0'}, {'instance_index': 0, 'extra': 1},
    {'ignore_hosts': 'host'}, [0]])
def test_bad_input_is_400_and_moves_nothing(api, hosts, zone, body):
    schedule = create(api, zone, num_instances=2)
    assert_error(move(api, schedule, body), 400, 'sora.invalid_request')
    assert show(api, schedule) == schedule


def test_a_stale_if_match_is_412_and_moves_nothing(api, hosts, zone):
    schedule = create(api, zone)
    response = move(api, schedule, headers={'If-Match': '"7"'})
    assert_error(response, 412, 'sora.conflict')
    assert show(api, schedule) == schedule
    response = move(api, schedule, headers={'If-Match': '"1"'})
    assert response.status_code == 200, response.text


def test_a_held_schedule_moves_and_stays_held_until_the_same_time(
        api, hosts, zone):
    schedule = create(api, zone, hold_seconds=600)
    response = move(api, schedule)
    assert response.status_code == 200, response.text
    moved = response.json()['schedule']
    assert (moved['status'], moved['expires_at']) == (
        'held', schedule['expires_at'])


def test_another_projects_schedule_is_404_and_a_reader_403(
        api, hosts, zone):
    schedule = create(api, zone)
    path = '/v1/schedules/%s/move' % schedule['id']
    assert_error(api.request('POST', path, as_='other'), 404,
                 'sora.not_found')
    assert_error(api.request('POST', path, as_='reader'), 403,
                 'sora.forbidden')
    assert show(api, schedule) == schedule


def test_an_admin_moves_a_members_schedule(api, hosts, zone):
    schedule = create(api, zone)
    response = api.request('POST', '/v1/schedules/%s/move' % schedule['id'],
                           as_='admin')
    assert response.status_code == 200, response.text
    assert placed(response.json()['schedule']) != placed(schedule)
    invariants.check(api.database())


def test_a_custom_class_moves_with_its_instance(api, make_host, unique,
                                                zone):
    name = 'CUSTOM_' + unique('mv').upper().replace('-', '_')
    response = api.request('PUT', '/v1/resource_classes/' + name,
                           as_='admin')
    assert response.status_code == 201, response.text
    made = [make_host(availability_zone=zone, inventories={name: {
        'total': 2}}) for _ in range(2)]
    schedule = create(api, zone, num_instances=1, resources={
        'vcpus': 1, name: 2})
    response = move(api, schedule, {'instance_index': 0})
    assert response.status_code == 200, response.text
    moved = response.json()['schedule']
    assert moved == show(api, schedule)
    [source] = [h for h in made if h['name'] == placed(schedule)[0]]
    [target] = [h for h in made if h['name'] == placed(moved)[0]]
    assert source != target

    def used(host):
        return api.request('GET', '/v1/hosts/' + host['id'], as_='admin'
                           ).json()['host']['inventories'][name]['used']
    assert (used(source), used(target)) == (0, 2)
    invariants.check(api.database())
