"""The Python client against a real ``sora-api``: every method, every error.

Tests share one server, so each works in its own availability zone.
"""

import socket
import uuid

import pytest

from sora_api.client import Client
from sora_api.client import exceptions


@pytest.fixture
def zone(unique):
    return unique('az-client')


def test_a_host_goes_through_its_whole_life(admin, unique, zone):
    name = unique()
    host = admin.hosts.create(name, 8, 16384, 200, availability_zone=zone,
                              traits=['CUSTOM_SSD'], metadata={'tier': 'a'})
    assert host['name'] == name and host['traits'] == ['CUSTOM_SSD']
    assert admin.hosts.get(host['id']) == host
    assert admin.hosts.find(name)['id'] == host['id']

    changed = admin.hosts.update(host['id'], if_match=host['generation'],
                                 enabled=False, disabled_reason='repair')
    assert (changed['enabled'], changed['disabled_reason']) == (False,
                                                                'repair')
    assert changed['generation'] > host['generation']

    admin.hosts.heartbeat(host['id'], io_ops=4)
    beaten = admin.hosts.get(host['id'])
    assert beaten['io_ops'] == 4 and beaten['last_heartbeat']
    admin.hosts.heartbeat(host['id'])

    admin.hosts.delete(host['id'])
    with pytest.raises(exceptions.NotFound):
        admin.hosts.get(host['id'])


def test_host_list_filters(admin, make_host, zone):
    ssd = make_host(availability_zone=zone, traits=['CUSTOM_SSD'])
    off = make_host(availability_zone=zone, enabled=False)
    assert {h['id'] for h in admin.hosts.list(availability_zone=zone)} == {
        ssd['id'], off['id']}
    assert [h['id'] for h in admin.hosts.list(
        availability_zone=zone, traits=['CUSTOM_SSD'])] == [ssd['id']]
    assert [h['id'] for h in admin.hosts.list(
        availability_zone=zone, enabled=False)] == [off['id']]
    assert [h['id'] for h in admin.hosts.list(name=ssd['name'])] == [
        ssd['id']]
    assert admin.hosts.list(availability_zone=zone, status='down') == []


def test_an_update_with_a_stale_generation_is_precondition_failed(
        admin, make_host):
    host = make_host()
    admin.hosts.update(host['id'], vcpus=16)
    with pytest.raises(exceptions.PreconditionFailed) as caught:
        admin.hosts.update(host['id'], if_match=host['generation'],
                           vcpus=4)
    assert caught.value.status == 412
    assert admin.hosts.get(host['id'])['vcpus'] == 16


def test_a_taken_host_name_is_a_conflict(admin, make_host):
    host = make_host()
    with pytest.raises(exceptions.Conflict) as caught:
        admin.hosts.create(host['name'], 1, 1, 1)
    assert type(caught.value) is exceptions.Conflict
    assert caught.value.code == 'sora.conflict'
    assert host['name'] in caught.value.detail


def test_an_unknown_token_is_unauthorized(api):
    with Client(api.url, 'not-a-token') as client:
        with pytest.raises(exceptions.Unauthorized) as caught:
            client.schedules.list()
    assert caught.value.status == 401
    assert caught.value.request_id.startswith('req-')


def test_a_member_reading_hosts_is_forbidden(member):
    with pytest.raises(exceptions.Forbidden) as caught:
        member.hosts.list()
    assert caught.value.code == 'sora.forbidden'


def test_a_malformed_body_is_an_invalid_request(admin, unique):
    with pytest.raises(exceptions.InvalidRequest) as caught:
        admin.hosts.create(unique(), -1, 1, 1)
    assert caught.value.status == 400
    assert 'vcpus' in caught.value.detail


def test_a_schedule_goes_through_its_whole_life(member, make_host, zone):
    host = make_host(availability_zone=zone)
    schedule = member.schedules.create(
        {'vcpus': 2, 'memory_mb': 1024}, num_instances=2,
        availability_zone=zone, hints={'group': 'web-' + zone})
    assert schedule['status'] == 'active'
    assert [a['host_id'] for a in schedule['allocations']] == [host['id']] * 2
    assert member.schedules.get(schedule['id']) == schedule
    assert schedule['id'] in {s['id'] for s in member.schedules.list()}
    assert [s['id'] for s in member.schedules.list(
        group='web-' + zone, host_id=host['id'])] == [schedule['id']]

    member.schedules.delete(schedule['id'])
    with pytest.raises(exceptions.NotFound):
        member.schedules.get(schedule['id'])


def test_a_dry_run_ranks_candidates_and_claims_nothing(admin, member,
                                                       make_host, zone):
    big = make_host(availability_zone=zone, memory_mb=32768)
    small = make_host(availability_zone=zone, memory_mb=8192)
    result = member.schedules.dry_run({'memory_mb': 1024},
                                      availability_zone=zone)
    assert [c['host_id'] for c in result['candidates']] == [big['id'],
                                                            small['id']]
    assert result['explanation'][0]['filter']
    assert admin.hosts.get(big['id'])['memory_mb_used'] == 0


def test_a_repeated_idempotency_key_returns_the_first_schedule(
        admin, member, make_host, zone):
    host = make_host(availability_zone=zone)
    key = str(uuid.uuid4())
    first = member.schedules.create({'vcpus': 1}, availability_zone=zone,
                                    idempotency_key=key)
    again = member.schedules.create({'vcpus': 1}, availability_zone=zone,
                                    idempotency_key=key)
    assert again['id'] == first['id']
    assert admin.hosts.get(host['id'])['vcpus_used'] == 1
    with pytest.raises(exceptions.IdempotencyMismatch) as caught:
        member.schedules.create({'vcpus': 2}, availability_zone=zone,
                                idempotency_key=key)
    assert caught.value.status == 422


def test_without_a_key_each_create_is_a_new_schedule(member, make_host,
                                                     zone):
    make_host(availability_zone=zone)
    first = member.schedules.create({'vcpus': 1}, availability_zone=zone)
    second = member.schedules.create({'vcpus': 1}, availability_zone=zone)
    assert first['id'] != second['id']


def test_no_valid_host_carries_the_filter_funnel(member, make_host, zone):
    make_host(availability_zone=zone, memory_mb=1024)
    with pytest.raises(exceptions.NoValidHost) as caught:
        member.schedules.create({'memory_mb': 10 ** 6},
                                availability_zone=zone)
    error = caught.value
    assert error.status == 409 and error.code == 'sora.no_valid_host'
    ram = next(s for s in error.explanation if s['filter'] == 'RamFilter')
    assert ram['hosts_out'] == 0
    assert 'RamFilter' in str(error)


def test_no_valid_host_carries_nearest_hosts_and_relaxations(
        start_server, make_host, zone):
    # A server of its own: every host is near, so only this test's count.
    server = start_server()
    host = make_host(server, availability_zone=zone, memory_mb=1024,
                     ram_allocation_ratio=1.0)
    with Client(server.url, server.tokens['member']) as member:
        with pytest.raises(exceptions.NoValidHost) as caught:
            member.schedules.create({'memory_mb': 2048},
                                    availability_zone=zone)
    error = caught.value
    assert error.nearest == [{'host_id': host['id'],
                              'host_name': host['name'],
                              'failed_filters': ['RamFilter'],
                              'shortfall': {'MEMORY_MB': 1024}}]
    assert error.relaxations == [
        {'field': 'resources.MEMORY_MB', 'to': 1024, 'hosts': 1}]


def test_capacity_counts_and_claims_nothing(admin, member, make_host, zone):
    host = make_host(availability_zone=zone, vcpus=4, memory_mb=65536,
                     cpu_allocation_ratio=1.0)
    found = member.schedules.capacity({'vcpus': 2}, availability_zone=zone)
    assert found['instances'] == 2
    assert found['by_availability_zone'][zone] == 2
    assert found['limited_by'] == {'VCPU': 1}
    assert admin.hosts.get(host['id'])['vcpus_used'] == 0


def test_a_host_with_allocations_is_in_use(admin, member, make_host, zone):
    host = make_host(availability_zone=zone)
    member.schedules.create({'vcpus': 1}, availability_zone=zone)
    with pytest.raises(exceptions.InUse) as caught:
        admin.hosts.delete(host['id'])
    assert caught.value.code == 'sora.in_use'


def test_another_projects_schedule_is_not_found_but_admin_sees_all(
        api, admin, member, make_host, zone):
    make_host(availability_zone=zone)
    with Client(api.url, api.tokens['other']) as other:
        theirs = other.schedules.create({'vcpus': 1},
                                        availability_zone=zone)
    with pytest.raises(exceptions.NotFound):
        member.schedules.get(theirs['id'])
    assert theirs['id'] not in {s['id'] for s in member.schedules.list()}
    assert theirs['id'] in {
        s['id'] for s in admin.schedules.list(all_projects=True)}
    with pytest.raises(exceptions.Forbidden):
        member.schedules.list(all_projects=True)


def test_lists_follow_next_links_past_max_limit(start_server, make_host):
    server = start_server({'api': {'max_limit': 2}})
    made = {make_host(server=server)['id'] for _ in range(5)}
    with Client(server.url, server.tokens['admin']) as admin:
        assert {h['id'] for h in admin.hosts.list()} == made
        assert len(admin.hosts.list(limit=1)) == 5
        schedules = {admin.schedules.create({'vcpus': 1})['id']
                     for _ in range(3)}
        assert {s['id'] for s in admin.schedules.list()} == schedules


def test_a_refused_connection_ends_in_a_clear_error_after_every_try():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    client = Client('http://127.0.0.1:%d' % port, 'token', retries=2,
                    backoff=0.01)
    with pytest.raises(exceptions.ConnectionFailed) as caught:
        client.hosts.list()
    message = str(caught.value)
    assert 'after 3 tries' in message
    assert 'Connection refused' in message
