"""Nearest hosts, relaxations and capacity, checked against what placing
the requests really does, on random fleets served by a real server."""

import collections
import copy
import random

import pytest

from tests.functional.server import assert_error

ZONES = ['az1', 'az2', 'az3']
TRAITS = ['CUSTOM_SSD', 'CUSTOM_NVME', 'CUSTOM_GPU']
TIERS = ['gold', 'silver']
EFFECTS = ['NoSchedule', 'NoSchedule', 'PreferNoSchedule']
FIELDS = {'VCPU': 'vcpus', 'MEMORY_MB': 'memory_mb', 'DISK_GB': 'disk_gb'}
# Each group keeps one policy (its first live schedule fixes it).
GROUPS = {
    'apart': {'group_policy': 'anti-affinity'},
    'together': {'group_policy': 'affinity'},
    'zones': {'group_policy': 'anti-affinity',
              'group_topology_key': 'availability_zone',
              'max_per_domain': 2},
    'tiers': {'group_policy': 'affinity',
              'group_topology_key': 'metadata.tier'},
}


def fleet(srv, rng, count):
    """``count`` random hosts, some with FPGAs, one disabled; their names."""
    srv.request('PUT', '/v1/resource_classes/CUSTOM_FPGA', as_='admin')
    names = []
    for i in range(count):
        body = {'name': f'h{i:02d}', 'availability_zone': rng.choice(ZONES),
                'vcpus': rng.choice([2, 4, 8]),
                'memory_mb': rng.choice([2048, 4096, 8192]),
                'disk_gb': rng.choice([20, 50, 100]),
                'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
                'traits': [t for t in TRAITS if rng.random() < 0.4],
                'metadata': {'tier': rng.choice(TIERS)},
                'enabled': i != 0}
        if rng.random() < 0.4:
            body['inventories'] = {'CUSTOM_FPGA': {
                'total': rng.choice([1, 2, 4])}}
        if rng.random() < 0.3:
            body['taints'] = [{'key': rng.choice(['gpu', 'maint']),
                               'value': 'yes',
                               'effect': rng.choice(EFFECTS)}]
        if rng.random() < 0.1:
            # Dedicated to another project: never the member's.
            body['projects'] = ['project-b']
        response = srv.request('POST', '/v1/hosts', as_='admin', json=body)
        assert response.status_code == 201, response.text
        names.append(body['name'])
    return names


def random_request(rng, names, big=True):
    """A schedule request of random shape; ``big`` ones often do not fit."""
    amounts = [1, 2, 4, 6, 8] if big else [1, 2]
    body = {'resources': {
        'vcpus': rng.choice(amounts),
        'memory_mb': rng.choice([512, 1024, 3072, 6144] if big
                                else [256, 512])}}
    if rng.random() < 0.3:
        body['resources']['CUSTOM_FPGA'] = rng.choice([1, 2, 3])
    if rng.random() < 0.2:
        body['resources']['disk_gb'] = rng.choice([10, 40, 90])
    if rng.random() < 0.4:
        body['availability_zone'] = rng.choice(ZONES)
    if rng.random() < 0.4:
        body['required_traits'] = rng.sample(TRAITS, rng.choice([1, 2]))
    elif rng.random() < 0.2:
        body['forbidden_traits'] = rng.sample(TRAITS, 1)
    if rng.random() < 0.3:
        body['metadata'] = {'tier': rng.choice(TIERS)}
    if rng.random() < 0.2:
        body['tolerations'] = [{'key': 'maint', 'operator': 'Exists'}]
    hints = random_hints(rng, names)
    if hints:
        body['hints'] = hints
    return body


def random_group(rng):
    """The hints of one of ``GROUPS``; a fresh one now and then."""
    name = rng.choice(sorted(GROUPS))
    hints = dict(GROUPS[name], group=name)
    if rng.random() < 0.3:
        hints['group'] = 'new-%d' % rng.randrange(10 ** 6)
    return hints


def random_hints(rng, names):
    hints = {}
    if rng.random() < 0.35:
        hints.update(random_group(rng))
    if rng.random() < 0.1:
        hints['spread'] = {'key': 'availability_zone', 'max_skew': 1}
    if rng.random() < 0.15:
        hints['ignore_hosts'] = rng.sample(names, 3)
    if rng.random() < 0.1:
        hints['force_hosts'] = rng.sample(names, 2)
    if rng.random() < 0.15:
        hints['query'] = ['>=', '$free_ram_mb', rng.choice([2048, 6000])]
    return hints


def post(srv, body, as_='member'):
    return srv.request('POST', '/v1/schedules', as_=as_, json=body)


def delete(srv, schedule_id):
    response = srv.request('DELETE', '/v1/schedules/' + schedule_id,
                           as_='member')
    assert response.status_code == 204, response.text


def applied(body, relaxation):
    """``body`` with one relaxation applied, as a client would apply it."""
    body = copy.deepcopy(body)
    field, to = relaxation['field'], relaxation['to']
    head, _, name = field.partition('.')
    if head == 'resources':
        body['resources'][FIELDS.get(name, name)] = to
        return body
    container, key = (body[head], name) if name else (body, head)
    if to is None:
        del container[key]
    else:
        container[key] = to
    return body


def dry_run(srv, body):
    response = post(srv, dict(body, dry_run=True))
    assert response.status_code == 200, response.text
    return response.json()


def background(srv, rng, names, count):
    """Some schedules already placed, group members among them."""
    for _ in range(count):
        body = random_request(rng, names, big=False)
        post(srv, body)


def check_nearest(nearest):
    assert len(nearest) <= 5
    assert len({n['host_id'] for n in nearest}) == len(nearest)
    failed = [len(n['failed_filters']) for n in nearest]
    assert failed == sorted(failed)
    for host in nearest:
        assert host['failed_filters'], host
        assert all(v > 0 for v in host['shortfall'].values())
        if any(f in ('RamFilter', 'CoreFilter', 'DiskFilter')
               for f in host['failed_filters']):
            assert host['shortfall'], host


def check_relaxation(srv, body, relaxation):
    """Applied, the request is placed; a resource one more is not; the
    dry run of the relaxed request has ``hosts`` candidates."""
    relaxed = applied(body, relaxation)
    candidates = dry_run(srv, relaxed)['candidates']
    assert len(candidates) == relaxation['hosts'], (body, relaxation)
    response = post(srv, relaxed)
    assert response.status_code == 201, (body, relaxation, response.text)
    delete(srv, response.json()['schedule']['id'])
    if relaxation['field'].startswith('resources.'):
        assert relaxation['to'] >= 1
        more = applied(body, dict(relaxation, to=relaxation['to'] + 1))
        assert_error(post(srv, more), 409, 'sora.no_valid_host')


@pytest.mark.parametrize('seed', range(4))
def test_every_relaxation_offered_lets_the_request_fit(start_server, seed):
    srv = start_server()
    rng = random.Random(seed)
    names = fleet(srv, rng, 10)
    background(srv, rng, names, 6)
    offered = refused = 0
    for _ in range(25):
        body = random_request(rng, names)
        body['num_instances'] = rng.choice([1, 1, 2, 3, 5])
        response = post(srv, body)
        if response.status_code == 201:
            delete(srv, response.json()['schedule']['id'])
            continue
        error = assert_error(response, 409, 'sora.no_valid_host')
        refused += 1
        check_nearest(error['nearest'])
        # A dry run says the same of the whole request.
        assert dry_run(srv, body)['relaxations'] == error['relaxations']
        for relaxation in error['relaxations']:
            offered += 1
            check_relaxation(srv, body, relaxation)
    assert refused and offered


def test_a_dry_run_that_fits_offers_nothing_and_names_near_misses(
        start_server):
    srv = start_server()
    for name, memory in (('small', 2048), ('large', 8192)):
        srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'vcpus': 4, 'memory_mb': memory, 'disk_gb': 10,
            'ram_allocation_ratio': 1.0})
    body = dry_run(srv, {'resources': {'memory_mb': 4096}})
    assert [c['host_name'] for c in body['candidates']] == ['large']
    assert body['relaxations'] == []
    assert body['nearest'] == [{
        'host_id': body['nearest'][0]['host_id'], 'host_name': 'small',
        'failed_filters': ['RamFilter'], 'shortfall': {'MEMORY_MB': 2048}}]
    error = assert_error(post(srv, {'resources': {'memory_mb': 4096},
                                    'num_instances': 3}),
                         409, 'sora.no_valid_host')
    # The third instance found no host: the large one is full by then.
    assert [(n['host_name'], n['shortfall']) for n in error['nearest']] == [
        ('small', {'MEMORY_MB': 2048}), ('large', {'MEMORY_MB': 4096})]
    # 3 x 2730 MB fit on the large host; 2731 MB fit only twice.
    assert error['relaxations'] == [
        {'field': 'resources.MEMORY_MB', 'to': 2730, 'hosts': 1}]


def capacity_request(rng, names):
    """A small request, fitting many times, under some constraints."""
    body = {'resources': {'vcpus': rng.choice([1, 2]),
                          'memory_mb': rng.choice([256, 512, 1024])}}
    if rng.random() < 0.3:
        body['tolerations'] = [{'key': 'gpu', 'value': 'yes'}]
    if rng.random() < 0.2:
        body['resources']['CUSTOM_FPGA'] = 1
    if rng.random() < 0.3:
        body['availability_zone'] = rng.choice(ZONES)
    if rng.random() < 0.3:
        body['required_traits'] = rng.sample(TRAITS, 1)
    hints = {}
    if rng.random() < 0.5:
        hints.update(random_group(rng))
    if rng.random() < 0.15:
        hints['spread'] = {'key': 'availability_zone', 'max_skew': 1}
    if rng.random() < 0.2:
        hints['ignore_hosts'] = rng.sample(names, 2)
    if hints:
        body['hints'] = hints
    return body


def capacity(srv, body, as_='member'):
    return srv.request('POST', '/v1/capacity', as_=as_, json=body)


@pytest.mark.parametrize('seed', range(4))
def test_capacity_is_how_many_place_one_by_one(start_server, seed):
    srv = start_server({'filter_scheduler': {'max_instances_per_host': 6}})
    rng = random.Random(100 + seed)
    names = fleet(srv, rng, 8)
    background(srv, rng, names, 4)
    if seed % 2:
        response = srv.request('PUT', '/v1/quotas/project-a', as_='admin',
                               json={'limits': {'VCPU': 16}})
        assert response.status_code == 200, response.text
    counted = 0
    for _ in range(3):
        body = capacity_request(rng, names)
        response = capacity(srv, body)
        assert response.status_code == 200, response.text
        found = response.json()['capacity']
        assert set(found) == {'instances', 'by_availability_zone',
                              'limited_by', 'quota_remaining'}
        remaining = found['quota_remaining']
        if remaining is not None:
            assert found['instances'] <= remaining
        zones = collections.Counter()
        placed = []
        for _ in range(found['instances']):
            response = post(srv, body)
            assert response.status_code == 201, (body, found, response.text)
            schedule = response.json()['schedule']
            placed.append(schedule['id'])
            [allocation] = schedule['allocations']
            zones[allocation['host_name']] += 1
        response = post(srv, body)
        if remaining is not None and found['instances'] == remaining:
            assert_error(response, 403, 'sora.over_quota')
        else:
            assert_error(response, 409, 'sora.no_valid_host')
            by_zone = collections.Counter()
            for host, count in zones.items():
                shown = srv.request('GET', '/v1/hosts?name=' + host,
                                    as_='admin').json()['hosts'][0]
                by_zone[shown['availability_zone']] += count
            assert {z: n for z, n in found['by_availability_zone'].items()
                    if n} == dict(by_zone)
        after = capacity(srv, body).json()['capacity']
        assert after['instances'] == 0
        counted += found['instances']
        for schedule_id in placed:
            delete(srv, schedule_id)
    assert counted


def test_capacity_names_what_runs_out_first_and_claims_nothing(
        start_server):
    srv = start_server()
    for name, zone, vcpus, memory in (('a', 'az1', 4, 65536),
                                      ('b', 'az1', 64, 4096),
                                      ('c', 'az2', 64, 8192)):
        srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'availability_zone': zone, 'vcpus': vcpus,
            'memory_mb': memory, 'disk_gb': 10, 'cpu_allocation_ratio': 1.0,
            'ram_allocation_ratio': 1.0})
    body = {'resources': {'vcpus': 1, 'memory_mb': 1024}}
    found = capacity(srv, body).json()['capacity']
    assert found == {'instances': 4 + 4 + 8,
                     'by_availability_zone': {'az1': 8, 'az2': 8},
                     'limited_by': {'VCPU': 1, 'MEMORY_MB': 2},
                     'quota_remaining': None}
    assert capacity(srv, body).json()['capacity'] == found
    usage = srv.request('GET', '/v1/usages', as_='member').json()['usage']
    assert usage['instances'] == 0
    anti = dict(body, hints={'group': 'g', 'group_policy': 'anti-affinity'})
    assert capacity(srv, anti).json()['capacity']['instances'] == 3
    srv.request('PUT', '/v1/quotas/project-a', as_='admin',
                json={'limits': {'MEMORY_MB': 5000}})
    found = capacity(srv, body).json()['capacity']
    assert (found['instances'], found['quota_remaining']) == (4, 4)


@pytest.mark.parametrize('body', [
    {},
    {'resources': {}},
    {'resources': {'vcpus': 0}},
    {'resources': {'vcpus': -1}},
    {'resources': {'vcpus': 'two'}},
    {'resources': {'vcpus': 1}, 'num_instances': 2},
    {'resources': {'vcpus': 1}, 'dry_run': True},
    {'resources': {'vcpus': 1}, 'bogus': 1},
    {'resources': {'vcpus': 1, 'VCPU': 1}},
    {'resources': {'CUSTOM_NEVER_CREATED': 1}},
    {'resources': {'vcpus': 1}, 'availability_zone': ''},
    {'resources': {'vcpus': 1}, 'required_traits': 'CUSTOM_SSD'},
    {'resources': {'vcpus': 1}, 'hints': {'group_policy': 'affinity'}},
    {'resources': {'vcpus': 1},
     'hints': {'group': 'g', 'group_policy': 'sometimes'}},
    {'resources': {'vcpus': 1}, 'hints': {'query': ['~', '$vcpus', 1]}},
    {'resources': {'vcpus': 1}, 'hints': {'bogus': 1}},
    [{'resources': {'vcpus': 1}}],
])
def test_bad_capacity_requests_are_400(api, body):
    assert_error(capacity(api, body), 400, 'sora.invalid_request')


def test_capacity_body_that_is_not_json_is_400(api):
    response = api.request('POST', '/v1/capacity', as_='member',
                           data=b'{"resources": ',
                           headers={'Content-Type': 'application/json'})
    assert_error(response, 400, 'sora.invalid_request')


def test_capacity_needs_a_member_token(api):
    body = {'resources': {'vcpus': 1}}
    assert_error(api.request('POST', '/v1/capacity', json=body), 401,
                 'sora.unauthorized')
    assert_error(capacity(api, body, as_='reader'), 403, 'sora.forbidden')
    response = api.request('GET', '/v1/capacity', as_='member')
    assert response.status_code == 405
    assert response.headers['Allow'] == 'POST'
