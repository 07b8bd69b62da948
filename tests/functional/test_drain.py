"""``POST /v1/hosts/{id}/drain`` against a running server."""

import collections
import threading

import pytest

from tests.functional import invariants
from tests.functional.placements import create
from tests.functional.placements import host_view
from tests.functional.placements import make_host
from tests.functional.placements import schedules
from tests.functional.server import assert_error
from tests.functional.test_concurrency import TIMEOUT
from tests.functional.test_concurrency import all_at_once

OPTIONS = {'api': {'workers': 2}}


@pytest.fixture
def server(start_server):
    return start_server(OPTIONS)


@pytest.fixture(scope='module')
def refusing(start_module_server):
    """A server and its one host for the refused drains below, shared:
    each case checks the host is still enabled, so a drain that went
    through fails it (and the ones after it) as on a server of its own."""
    srv = start_module_server(OPTIONS)
    return srv, make_host(srv, 'h1')


def drain(srv, host, body=None, as_='admin'):
    return srv.request('POST', '/v1/hosts/%s/drain' % host['id'], as_=as_,
                       json=body, timeout=TIMEOUT)


def test_a_drain_disables_the_host_moves_everything_and_it_can_go(server):
    source = make_host(server, 'h1')
    created = [create(server, num_instances=2) for _ in range(2)]
    make_host(server, 'h2')
    make_host(server, 'h3')
    response = drain(server, source, {'reason': 'disk swap'})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body['stuck'] == []
    assert sorted((m['schedule_id'], m['instance_index'])
                  for m in body['moves']) == sorted(
        (s['id'], i) for s in created for i in range(2))
    assert {m['from_host'] for m in body['moves']} == {'h1'}
    assert {m['to_host'] for m in body['moves']} <= {'h2', 'h3'}
    view = host_view(server, source)
    assert (view['enabled'], view['disabled_reason']) == (False, 'disk swap')
    assert view['instances'] == 0
    for schedule in schedules(server):
        assert 'h1' not in [a['host_name'] for a in schedule['allocations']]
    invariants.check(server.database())
    response = server.request('DELETE', '/v1/hosts/' + source['id'],
                              as_='admin')
    assert response.status_code == 204, response.text


def test_the_default_reason_is_draining(server):
    source = make_host(server, 'h1')
    response = drain(server, source)
    assert response.status_code == 200, response.text
    assert response.json() == {'moves': [], 'stuck': []}
    assert host_view(server, source)['disabled_reason'] == 'draining'


def test_a_dry_run_plans_the_same_and_changes_nothing(server):
    source = make_host(server, 'h1')
    schedule = create(server)
    make_host(server, 'h2')
    before = host_view(server, source)
    response = drain(server, source, {'dry_run': True})
    assert response.status_code == 200, response.text
    assert response.json() == {'moves': [{
        'schedule_id': schedule['id'], 'instance_index': 0,
        'from_host': 'h1', 'to_host': 'h2'}], 'stuck': []}
    assert host_view(server, source) == before
    assert schedules(server) == [schedule]


def test_what_fits_nowhere_is_stuck_and_stays(server):
    source = make_host(server, 'h1')
    big = create(server, vcpus=6)
    small = create(server, vcpus=2)
    make_host(server, 'h2', vcpus=2)
    response = drain(server, source)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(m['schedule_id'], m['to_host']) for m in body['moves']] == [
        (small['id'], 'h2')]
    [stuck] = body['stuck']
    assert (stuck['schedule_id'], stuck['instance_index']) == (big['id'], 0)
    assert stuck['detail']
    assert host_view(server, source)['vcpus_used'] == 6
    assert_error(server.request('DELETE', '/v1/hosts/' + source['id'],
                                as_='admin'), 409, 'sora.in_use')
    invariants.check(server.database())


def test_a_drain_keeps_each_schedules_group_policy(server):
    group = {'group': 'g', 'group_policy': 'anti-affinity'}
    source = make_host(server, 'h1')
    create(server, hints=group)
    other = make_host(server, 'h2')
    create(server, hints=group)
    make_host(server, 'h3')
    response = drain(server, source)
    assert response.status_code == 200, response.text
    assert [m['to_host'] for m in response.json()['moves']] == ['h3']
    assert host_view(server, other)['instances'] == 1


@pytest.mark.parametrize('body', [{'dry_run': 'yes'}, {'reason': ''},
                                  {'reason': 'x' * 256}, {'other': 1}, []])
def test_bad_input_is_400_and_changes_nothing(refusing, body):
    server, source = refusing
    assert_error(drain(server, source, body), 400, 'sora.invalid_request')
    assert host_view(server, source)['enabled'] is True


def test_only_an_admin_drains_and_an_unknown_host_is_404(server):
    source = make_host(server, 'h1')
    assert_error(drain(server, source, as_='member'), 403, 'sora.forbidden')
    assert host_view(server, source)['enabled'] is True
    assert_error(drain(server, {'id': '00000000-0000-4000-8000-000000000000'}),
                 404, 'sora.not_found')


def test_a_drain_racing_new_schedules_leaves_none_unaccounted(server):
    source = make_host(server, 'h1', vcpus=64)
    make_host(server, 'h2', vcpus=64)
    for _ in range(4):
        create(server, vcpus=1)
    calls = [lambda: drain(server, source)] + [
        lambda: server.request('POST', '/v1/schedules', as_='member',
                               json={'resources': {'vcpus': 1}},
                               timeout=TIMEOUT)] * 12
    answers = all_at_once(len(calls), lambda i: calls[i]())
    assert answers[0].status_code == 200, answers[0].text
    stuck = answers[0].json()['stuck']
    assert all(a.status_code == 201 for a in answers[1:])
    # Whatever is still on the host was reported stuck by the drain.
    on_host = {(s['id'], a['instance_index'])
               for s in schedules(server) for a in s['allocations']
               if a['host_name'] == 'h1'}
    assert on_host == {(s['schedule_id'], s['instance_index'])
                       for s in stuck}
    invariants.check(server.database())


def test_no_schedule_created_while_draining_is_left_on_the_host(
        start_server):
    """Clients keep creating schedules while the host is drained. The host
    is the one the RAM weigher likes best, so claims that read the host
    table before the host was disabled aim at it; room elsewhere is
    plenty. Whatever order things happen in, the drained host
    ends empty: a claim that lands after the drain looked at the host
    would be left there, unreported."""
    server = start_server({'api': {'workers': 2}, 'filter_scheduler': {
        'max_instances_per_host': 1000}})
    source = make_host(server, 'h1', vcpus=512, memory_mb=262144)
    before = [create(server, vcpus=1) for _ in range(10)]
    make_host(server, 'h2', vcpus=512, memory_mb=65536)
    drained = threading.Event()
    creators, most = 6, 40

    def run(i):
        if i == 0:
            try:
                return drain(server, source, {'reason': 'race'})
            finally:
                drained.set()
        answers = []
        # Until the drain answered, and a few after it.
        while not drained.is_set() or len(answers) < 3:
            answers.append(server.request(
                'POST', '/v1/schedules', as_='member', timeout=TIMEOUT,
                json={'resources': {'vcpus': 1, 'memory_mb': 64}}))
            if len(answers) >= most:
                break
        return answers

    results = all_at_once(1 + creators, run)
    answer = results[0]
    assert answer.status_code == 200, answer.text
    assert answer.json()['stuck'] == []
    created = [a for answers in results[1:] for a in answers]
    statuses = collections.Counter(a.status_code for a in created)
    assert set(statuses) == {201}, [a.text for a in created
                                    if a.status_code != 201][:3]
    view = host_view(server, source)
    assert (view['enabled'], view['instances']) == (False, 0)
    listed = schedules(server)
    assert sorted(s['id'] for s in listed) == sorted(
        [s['id'] for s in before]
        + [a.json()['schedule']['id'] for a in created])
    assert [s['id'] for s in listed
            if 'h1' in [a['host_name'] for a in s['allocations']]] == []
    moved = {(m['schedule_id'], m['instance_index'])
             for m in answer.json()['moves']}
    assert moved >= {(s['id'], 0) for s in before}
    invariants.check(server.database())
