"""Claims under concurrency: many API workers, one database, no overcommit.

Every request runs in its own thread on its own HTTP connection, released
together by a barrier. The assertions are about outcomes only (how many
succeeded, what the hosts hold), never about timing.
"""

import collections
import concurrent.futures
import threading

import pytest
import sqlalchemy as sa

from tests.functional import invariants

REQUESTS = 40
TIMEOUT = 60  # seconds any single request or wait may take


@pytest.fixture
def server(start_server):
    return start_server({'api': {'workers': 4}})


def host_state(srv, host_id):
    response = srv.request('GET', '/v1/hosts/%s' % host_id, as_='admin')
    assert response.status_code == 200, response.text
    return response.json()['host']


def all_at_once(count, call):
    """Run ``call(i)`` for i in range(count) in threads released together."""
    barrier = threading.Barrier(count, timeout=TIMEOUT)

    def run(i):
        barrier.wait()
        return call(i)

    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, i) for i in range(count)]
        return [f.result(timeout=TIMEOUT) for f in futures]


def create_all(srv, body, count=REQUESTS):
    return all_at_once(count, lambda i: srv.request(
        'POST', '/v1/schedules', as_='member', json=body, timeout=TIMEOUT))


def assert_only_201_or_409(responses):
    statuses = collections.Counter(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [
        (r.status_code, r.text) for r in responses
        if r.status_code not in (201, 409)]
    for response in responses:
        if response.status_code == 409:
            error = response.json()['errors'][0]
            assert error['code'] == 'sora.no_valid_host'
    return [r.json()['schedule'] for r in responses if r.status_code == 201]


def test_concurrent_requests_for_one_host_claim_exactly_its_capacity(
        server, make_host):
    capacity = 5
    host = make_host(server, vcpus=2 * capacity, cpu_allocation_ratio=1.0)
    responses = create_all(server, {'resources': {'vcpus': 2}})
    created = assert_only_201_or_409(responses)
    assert len(created) == capacity
    assert len({s['id'] for s in created}) == capacity
    state = host_state(server, host['id'])
    assert state['vcpus_used'] == 2 * capacity
    assert state['instances'] == capacity
    listed = server.request('GET', '/v1/schedules', as_='member').json()
    assert sorted(s['id'] for s in listed['schedules']) == sorted(
        s['id'] for s in created)
    invariants.check_server(server)


def test_concurrent_multi_instance_requests_are_all_or_nothing(
        server, make_host):
    # Slots of 2 vCPUs: 3 + 5 + 2 = 10; requests of 2 instances split
    # across hosts, so 5 of them fit whatever order they win in.
    sizes = {'h3': 3, 'h5': 5, 'h2': 2}
    hosts = {name: make_host(server, name=name, vcpus=2 * slots,
                             cpu_allocation_ratio=1.0)
             for name, slots in sizes.items()}
    body = {'resources': {'vcpus': 2, 'memory_mb': 256},
            'num_instances': 2}
    created = assert_only_201_or_409(create_all(server, body))
    assert len(created) * 2 == sum(sizes.values())

    claimed = collections.Counter()
    for schedule in created:
        allocations = schedule['allocations']
        assert len(allocations) == schedule['num_instances'] == 2
        assert [a['instance_index'] for a in allocations] == [0, 1]
        claimed.update(a['host_name'] for a in allocations)
    for name, host in hosts.items():
        state = host_state(server, host['id'])
        assert state['instances'] == claimed[name] <= sizes[name]
        assert state['vcpus_used'] == 2 * claimed[name] <= host['vcpus']
        assert state['memory_mb_used'] == 256 * claimed[name]

    listed = server.request('GET', '/v1/schedules', as_='member').json()
    assert len(listed['schedules']) == len(created)
    invariants.check_server(server)


def test_concurrent_deletes_of_one_schedule_release_it_once(server,
                                                            make_host):
    host = make_host(server, vcpus=8, cpu_allocation_ratio=1.0)
    keep = server.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1}})
    gone = server.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 2}, 'num_instances': 2})
    assert keep.status_code == 201 and gone.status_code == 201
    path = '/v1/schedules/' + gone.json()['schedule']['id']

    responses = all_at_once(20, lambda i: server.request(
        'DELETE', path, as_='member', timeout=TIMEOUT))
    statuses = collections.Counter(r.status_code for r in responses)
    assert statuses == {204: 1, 404: 19}, [r.text for r in responses]
    state = host_state(server, host['id'])
    assert state['vcpus_used'] == 1
    assert state['instances'] == 1
    invariants.check_server(server)


def test_concurrent_anti_affinity_requests_never_share_a_host(server,
                                                              make_host):
    hosts = [make_host(server, vcpus=64) for _ in range(3)]
    body = {'resources': {'vcpus': 1},
            'hints': {'group': 'web', 'group_policy': 'anti-affinity'}}
    created = assert_only_201_or_409(create_all(server, body, count=20))
    used = [s['allocations'][0]['host_id'] for s in created]
    assert sorted(used) == sorted(h['id'] for h in hosts)
    for host in hosts:
        assert host_state(server, host['id'])['instances'] == 1
    invariants.check_server(server)


def test_concurrent_repeats_of_one_idempotency_key_claim_once(server,
                                                              make_host):
    host = make_host(server, vcpus=64)
    responses = all_at_once(20, lambda i: server.request(
        'POST', '/v1/schedules', as_='member', timeout=TIMEOUT,
        json={'resources': {'vcpus': 1}, 'num_instances': 2},
        headers={'Idempotency-Key': 'one-key'}))
    assert {r.status_code for r in responses} == {201}, [
        r.text for r in responses if r.status_code != 201]
    assert len({r.json()['schedule']['id'] for r in responses}) == 1
    state = host_state(server, host['id'])
    assert state['instances'] == 2
    assert state['vcpus_used'] == 2
    invariants.check_server(server)


def test_racing_anti_affine_creates_and_deletes_never_share_a_host(
        server, make_host):
    """A group's row goes with its last member while other requests of
    the group race to claim: no two live members ever share a host, and
    nothing of the group is left once every member is gone."""
    hosts = [make_host(server, vcpus=64, memory_mb=65536)
             for _ in range(3)]
    body = {'resources': {'vcpus': 1, 'memory_mb': 64},
            'hints': {'group': 'race-row', 'group_policy': 'anti-affinity'}}
    stop = threading.Event()
    shared = []

    def churn(i):
        outcomes = []
        for _ in range(15):
            response = server.request('POST', '/v1/schedules', as_='member',
                                      json=body, timeout=TIMEOUT)
            outcomes.append(response.status_code)
            if response.status_code == 201:
                schedule_id = response.json()['schedule']['id']
                deleted = server.request(
                    'DELETE', '/v1/schedules/%s' % schedule_id,
                    as_='member', timeout=TIMEOUT)
                assert deleted.status_code == 204, deleted.text
        return outcomes

    def watch():
        while not stop.is_set():
            members = server.request(
                'GET', '/v1/schedules', as_='member',
                params={'group': 'race-row'}, timeout=TIMEOUT)
            placed = collections.Counter(
                a['host_id'] for s in members.json()['schedules']
                for a in s['allocations'])
            shared.extend(h for h, n in placed.items() if n > 1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        outcomes = all_at_once(8, churn)
    finally:
        stop.set()
        watcher.join(TIMEOUT)
    statuses = collections.Counter(s for o in outcomes for s in o)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 3, statuses
    assert shared == []
    for host in hosts:
        assert host_state(server, host['id'])['instances'] == 0
    db = server.database()
    try:
        with db.reader() as session:
            left = session.execute(sa.text(
                "SELECT count(*) FROM schedule_groups "
                "WHERE name = 'race-row'")).scalar()
    finally:
        db.engine.dispose()
    assert left == 0
    invariants.check_server(server)


def test_concurrent_gpu_requests_claim_exactly_the_usable_gpus(server,
                                                               make_host):
    # Usable GPUs = total * allocation_ratio - reserved: 4 * 1.5 - 2 = 4
    # and 3 * 1.0 - 0 = 3; max_unit 2 keeps a two-GPU instance fitting.
    assert server.request('PUT', '/v1/resource_classes/CUSTOM_GPU_RACE',
                          as_='admin').status_code == 201
    hosts = [
        make_host(server, vcpus=64, inventories={'CUSTOM_GPU_RACE': {
            'total': 4, 'reserved': 2, 'allocation_ratio': 1.5,
            'max_unit': 2}}),
        make_host(server, vcpus=64, inventories={'CUSTOM_GPU_RACE': {
            'total': 3, 'max_unit': 2}}),
        make_host(server, vcpus=64),
    ]
    body = {'resources': {'vcpus': 1, 'CUSTOM_GPU_RACE': 1}}
    created = assert_only_201_or_409(create_all(server, body))
    assert len(created) == 4 + 3
    placed = collections.Counter(
        s['allocations'][0]['host_id'] for s in created)
    assert placed == {hosts[0]['id']: 4, hosts[1]['id']: 3}
    for host, gpus in zip(hosts[:2], (4, 3)):
        inventory = host_state(server, host['id'])['inventories'][
            'CUSTOM_GPU_RACE']
        assert inventory['used'] == gpus
    invariants.check_server(server)
