"""Moves, resizes and drains keep a schedule's placement policies: its
group's topology key and max per domain, its tolerations, and the hosts
dedicated to other projects (``Placement policies`` and ``Changing
placements`` in the contract).

Each test has a server of its own, so the hosts it registers are the only
ones: the "trap" hosts are the biggest, the ones a move would pick if it
forgot a policy.
"""

import pytest

from tests.functional import invariants
from tests.functional.server import assert_error
from tests.functional.test_concurrency import TIMEOUT

GPU = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}
TOLERATE_GPU = [{'key': 'gpu', 'operator': 'Exists'}]
ZONE_APART = {'group': 'web', 'group_policy': 'anti-affinity',
              'group_topology_key': 'availability_zone'}


@pytest.fixture
def server(start_server):
    return start_server()


def make_host(srv, name, zone, vcpus=4, **fields):
    body = {'name': name, 'availability_zone': zone, 'vcpus': vcpus,
            'memory_mb': 1024 * vcpus, 'disk_gb': 10 * vcpus,
            'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
            'disk_allocation_ratio': 1.0}
    body.update(fields)
    response = srv.request('POST', '/v1/hosts', as_='admin', json=body)
    assert response.status_code == 201, response.text
    return response.json()['host']


def create(srv, vcpus=2, **fields):
    body = dict({'resources': {'vcpus': vcpus}}, **fields)
    response = srv.request('POST', '/v1/schedules', as_='member', json=body)
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def on(schedule):
    """The host names of a schedule's instances, by index."""
    return [a['host_name'] for a in sorted(schedule['allocations'],
                                           key=lambda a: a['instance_index'])]


def move(srv, schedule, body=None):
    return srv.request('POST', '/v1/schedules/%s/move' % schedule['id'],
                       as_='member', json=body or {})


def resize(srv, schedule, resources):
    return srv.request('POST', '/v1/schedules/%s/resize' % schedule['id'],
                       as_='member', json={'resources': resources})


def show(srv, schedule):
    response = srv.request('GET', '/v1/schedules/' + schedule['id'],
                           as_='member')
    assert response.status_code == 200, response.text
    return response.json()['schedule']


def moved_to(response):
    assert response.status_code == 200, response.text
    return on(response.json()['schedule'])


def test_a_zone_anti_affine_member_never_moves_into_another_members_zone(
        server):
    make_host(server, 'a1', 'az1')
    first = create(server, hints=ZONE_APART)
    make_host(server, 'b1', 'az2')
    second = create(server, hints=ZONE_APART)
    assert (on(first), on(second)) == (['a1'], ['b1'])
    # The biggest hosts are in the other member's zone.
    make_host(server, 'b2', 'az2', vcpus=32)
    make_host(server, 'b3', 'az2', vcpus=32)
    make_host(server, 'a2', 'az1')
    make_host(server, 'c1', 'az3')
    seen = set()
    for _ in range(4):
        [target] = moved_to(move(server, first))
        assert target in ('a2', 'c1', 'a1')
        seen.add(target)
        first = show(server, first)
    assert seen - {'a1'}
    # With room only in the other member's zone, nothing moves.
    for name in ('a1', 'a2', 'c1'):
        host = next(h for h in server.request(
            'GET', '/v1/hosts', as_='admin').json()['hosts']
            if h['name'] == name)
        if name not in on(first):
            response = server.request(
                'PUT', '/v1/hosts/' + host['id'], as_='admin',
                json={'enabled': False})
            assert response.status_code == 200, response.text
    before = show(server, first)
    error = assert_error(move(server, first), 409, 'sora.no_valid_host')
    assert error['explanation']
    assert show(server, first) == before
    assert on(show(server, second)) == ['b1']
    invariants.check(server.database())


def test_a_move_honours_max_per_domain(server):
    group = dict(ZONE_APART, max_per_domain=2)
    make_host(server, 'a1', 'az1')
    make_host(server, 'a2', 'az1')
    members = [create(server, hints=group) for _ in range(2)]
    assert sorted(n for m in members for n in on(m)) == ['a1', 'a2']
    make_host(server, 'b1', 'az2')
    third = create(server, hints=group)
    assert on(third) == ['b1']
    # az1 holds two members already: its big free host is no target.
    make_host(server, 'a3', 'az1', vcpus=32)
    make_host(server, 'b2', 'az2')
    assert moved_to(move(server, third)) == ['b2']
    # An az1 member may move within az1: its own place there is free.
    assert moved_to(move(server, members[0])) == ['a3']
    invariants.check(server.database())


def test_a_move_keeps_to_tolerated_taints_and_the_projects_own_hosts(
        server):
    make_host(server, 'p1', 'az1')
    plain = create(server)
    tolerant = create(server, tolerations=TOLERATE_GPU)
    assert on(plain) == on(tolerant) == ['p1']
    make_host(server, 'gpu', 'az1', vcpus=32, taints=[GPU])
    make_host(server, 'theirs', 'az1', vcpus=32, projects=['project-b'])
    # Nowhere for the untolerating one: 409, nothing moves.
    assert_error(move(server, plain), 409, 'sora.no_valid_host')
    assert on(show(server, plain)) == ['p1']
    # The tolerating one may go to the tainted host, never to project-b's.
    assert moved_to(move(server, tolerant)) == ['gpu']
    make_host(server, 'ours', 'az1', vcpus=2, projects=['project-a'])
    assert moved_to(move(server, plain)) == ['ours']
    invariants.check(server.database())


def test_a_resize_that_moves_keeps_every_policy(server):
    make_host(server, 'a1', 'az1', vcpus=2)
    resized = create(server, hints=ZONE_APART, tolerations=TOLERATE_GPU)
    make_host(server, 'b1', 'az2')
    other = create(server, hints=ZONE_APART, tolerations=TOLERATE_GPU)
    assert (on(resized), on(other)) == (['a1'], ['b1'])
    make_host(server, 'b2', 'az2', vcpus=32)
    make_host(server, 'theirs', 'az3', vcpus=32, projects=['project-b'])
    make_host(server, 'spot', 'az3', vcpus=32,
              taints=[{'key': 'spot', 'effect': 'NoSchedule'}])
    before = show(server, resized)
    # a1 has no room for 4 vCPUs; every other host breaks a policy.
    assert_error(resize(server, resized, {'vcpus': 4}), 409,
                 'sora.no_valid_host')
    assert show(server, resized) == before
    make_host(server, 'gpu', 'az4', vcpus=8, taints=[GPU])
    response = resize(server, resized, {'vcpus': 4})
    assert moved_to(response) == ['gpu']
    assert response.json()['schedule']['resources'] == {'vcpus': 4}
    invariants.check(server.database())


def test_a_drain_reports_as_stuck_what_the_policies_allow_nowhere(server):
    source = make_host(server, 'h1', 'az1', vcpus=8)
    member = create(server, hints=ZONE_APART)
    plain = create(server)
    tolerant = create(server, tolerations=TOLERATE_GPU)
    make_host(server, 'b1', 'az2', vcpus=2)
    create(server, hints=ZONE_APART)
    make_host(server, 'b2', 'az2', vcpus=2)
    make_host(server, 'gpu', 'az3', vcpus=4, taints=[GPU])
    make_host(server, 'theirs', 'az3', vcpus=32, projects=['project-b'])
    response = server.request('POST', '/v1/hosts/%s/drain' % source['id'],
                              as_='admin', json={}, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    body = response.json()
    # The member's zone-mates: az2 holds the other member, az3 has only a
    # host it does not tolerate and one of another project.
    assert [(s['schedule_id'], s['instance_index'])
            for s in body['stuck']] == [(member['id'], 0)]
    assert sorted((m['schedule_id'], m['to_host'])
                  for m in body['moves']) == sorted(
        [(plain['id'], 'b2'), (tolerant['id'], 'gpu')])
    assert on(show(server, member)) == ['h1']
    invariants.check(server.database())
