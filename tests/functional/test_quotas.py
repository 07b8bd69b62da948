"""Quotas and usage per project, against real servers."""

import collections
import concurrent.futures
import threading

import pytest

from tests.functional import invariants
from tests.functional import server as sora_server

TIMEOUT = 60


def quota(srv, project, as_='admin'):
    return srv.request('GET', '/v1/quotas/' + project, as_=as_)


def set_limits(srv, project, limits):
    return srv.request('PUT', '/v1/quotas/' + project, as_='admin',
                       json={'limits': limits})


def usage(srv, as_='member', query=''):
    response = srv.request('GET', '/v1/usages' + query, as_=as_)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def server(start_server):
    """A server of its own: quotas here do not reach the shared one."""
    return start_server()


@pytest.fixture(scope='module')
def refusing(start_module_server):
    """A server for the refused quotas below, shared by their cases:
    each sets the limit it checks first."""
    return start_module_server()


def host(srv, name, **fields):
    body = dict({'name': name, 'vcpus': 64, 'memory_mb': 65536,
                 'disk_gb': 100, 'cpu_allocation_ratio': 1.0}, **fields)
    response = srv.request('POST', '/v1/hosts', as_='admin', json=body)
    assert response.status_code == 201, response.text
    return response.json()['host']


def schedule(srv, resources, as_='member', **fields):
    return srv.request('POST', '/v1/schedules', as_=as_,
                       json=dict(fields, resources=resources),
                       timeout=TIMEOUT)


def test_usage_is_what_the_live_schedules_hold(server):
    server.request('PUT', '/v1/resource_classes/CUSTOM_GPU', as_='admin')
    host(server, 'h1', inventories={'CUSTOM_GPU': {'total': 4}})
    assert usage(server) == {'usage': {
        'project_id': 'project-a', 'instances': 0, 'VCPU': 0,
        'MEMORY_MB': 0, 'DISK_GB': 0}}
    first = schedule(server, {'vcpus': 2, 'memory_mb': 1024,
                              'CUSTOM_GPU': 1}, num_instances=2)
    assert first.status_code == 201, first.text
    schedule(server, {'vcpus': 1}, as_='other')
    assert usage(server)['usage'] == {
        'project_id': 'project-a', 'instances': 2, 'VCPU': 4,
        'MEMORY_MB': 2048, 'DISK_GB': 0, 'CUSTOM_GPU': 2}
    assert usage(server, 'reader') == usage(server)
    # Another project's usage: admin only.
    assert usage(server, 'admin', '?project_id=project-b')['usage'][
        'instances'] == 1
    sora_server.assert_error(server.request(
        'GET', '/v1/usages?project_id=project-b', as_='member'),
        403, 'sora.forbidden')
    assert usage(server, 'member', '?project_id=project-a') == usage(server)
    every = usage(server, 'admin', '?all_projects=true')['usages']
    assert [u['project_id'] for u in every] == ['project-a', 'project-b']
    sora_server.assert_error(server.request(
        'GET', '/v1/usages?all_projects=true', as_='member'),
        403, 'sora.forbidden')
    sora_server.assert_error(server.request(
        'GET', '/v1/usages', as_='norole'), 403, 'sora.forbidden')
    server.request('DELETE', '/v1/schedules/' + first.json()['schedule'][
        'id'], as_='member')
    assert usage(server)['usage'] == {
        'project_id': 'project-a', 'instances': 0, 'VCPU': 0,
        'MEMORY_MB': 0, 'DISK_GB': 0}


def test_quotas_are_set_read_and_deleted(start_server):
    srv = start_server({'quota': {'instances': 10}})
    srv.request('PUT', '/v1/resource_classes/CUSTOM_GPU', as_='admin')
    assert quota(srv, 'project-a').json() == {'quota': {
        'project_id': 'project-a',
        'limits': {'instances': 10, 'VCPU': -1, 'MEMORY_MB': -1,
                   'DISK_GB': -1},
        'usage': {'project_id': 'project-a', 'instances': 0, 'VCPU': 0,
                  'MEMORY_MB': 0, 'DISK_GB': 0}}}
    response = set_limits(srv, 'project-a', {'VCPU': 64, 'CUSTOM_GPU': 2})
    assert response.status_code == 200, response.text
    # A class the limits do not name keeps the default.
    assert response.json()['quota']['limits'] == {
        'instances': 10, 'VCPU': 64, 'MEMORY_MB': -1, 'DISK_GB': -1,
        'CUSTOM_GPU': 2}
    assert quota(srv, 'project-a', 'member').json() == response.json()
    assert quota(srv, 'project-a', 'reader').json() == response.json()
    # PUT replaces the limits whole.
    set_limits(srv, 'project-a', {'instances': 3})
    assert quota(srv, 'project-a').json()['quota']['limits'] == {
        'instances': 3, 'VCPU': -1, 'MEMORY_MB': -1, 'DISK_GB': -1}
    assert srv.request('DELETE', '/v1/quotas/project-a',
                       as_='admin').status_code == 204
    assert quota(srv, 'project-a').json()['quota']['limits'][
        'instances'] == 10


def test_only_an_admin_sets_quotas_and_members_read_only_their_own(server):
    for as_ in ('member', 'reader'):
        sora_server.assert_error(server.request(
            'PUT', '/v1/quotas/project-a', as_=as_,
            json={'limits': {'instances': 100}}), 403, 'sora.forbidden')
        sora_server.assert_error(server.request(
            'DELETE', '/v1/quotas/project-a', as_=as_), 403,
            'sora.forbidden')
    sora_server.assert_error(quota(server, 'project-b', 'member'), 403,
                             'sora.forbidden')
    sora_server.assert_error(quota(server, 'project-a', 'norole'), 403,
                             'sora.forbidden')


@pytest.mark.parametrize('limits, field', [
    ({'CUSTOM_NEVER_CREATED': 1}, 'CUSTOM_NEVER_CREATED'),
    ({'VCPU': -2}, 'VCPU'),
    ({'gpus': 1}, 'gpus'),
    ({'instances': 'many'}, 'instances'),
])
def test_a_bad_quota_is_400_and_changes_nothing(refusing, limits, field):
    server = refusing
    set_limits(server, 'project-a', {'instances': 5})
    response = set_limits(server, 'project-a', limits)
    error = sora_server.assert_error(response, 400, 'sora.invalid_request')
    assert field in error['detail'] and 'limits' in error['detail']
    assert quota(server, 'project-a').json()['quota']['limits'][
        'instances'] == 5


def test_a_request_past_a_limit_is_403_naming_class_limit_usage_asked(
        server):
    only = host(server, 'h1')
    set_limits(server, 'project-a', {'VCPU': 5})
    assert schedule(server, {'vcpus': 2}, num_instances=2).status_code == 201
    response = schedule(server, {'vcpus': 1, 'memory_mb': 10},
                        num_instances=2)
    error = sora_server.assert_error(response, 403, 'sora.over_quota')
    detail = error['detail']
    assert 'VCPU' in detail and 'limit 5' in detail
    assert 'usage 4' in detail and 'asked 2' in detail
    # Nothing claimed; what fits still fits; another project is not held.
    assert usage(server)['usage']['VCPU'] == 4
    shown = server.request('GET', '/v1/hosts/' + only['id'],
                           as_='admin').json()['host']
    assert (shown['instances'], shown['vcpus_used']) == (2, 4)
    assert schedule(server, {'vcpus': 1}).status_code == 201
    assert schedule(server, {'vcpus': 4}, as_='other').status_code == 201


def test_a_limit_below_usage_refuses_new_claims_until_usage_drops(server):
    host(server, 'h1')
    first = schedule(server, {'vcpus': 1}, num_instances=3).json()[
        'schedule']
    assert set_limits(server, 'project-a',
                      {'instances': 2}).status_code == 200
    sora_server.assert_error(schedule(server, {'vcpus': 1}), 403,
                             'sora.over_quota')
    server.request('DELETE', '/v1/schedules/' + first['id'], as_='member')
    assert schedule(server, {'vcpus': 1}).status_code == 201


def _race(servers, count=40, resources=None, identities=('member',)):
    """``count`` requests (one vCPU unless ``resources``) released
    together, spread over ``servers`` and ``identities``."""
    barrier = threading.Barrier(count, timeout=TIMEOUT)

    def run(i):
        barrier.wait()
        return schedule(servers[i % len(servers)],
                        resources or {'vcpus': 1},
                        as_=identities[i % len(identities)])

    with concurrent.futures.ThreadPoolExecutor(max_workers=count) as pool:
        return [f.result(timeout=TIMEOUT)
                for f in [pool.submit(run, i) for i in range(count)]]


def _assert_exactly_ten_placed(responses, srv):
    statuses = collections.Counter(r.status_code for r in responses)
    assert statuses == {201: 10, 403: 30}, [
        (r.status_code, r.text) for r in responses
        if r.status_code not in (201, 403)]
    for response in responses:
        if response.status_code == 403:
            sora_server.assert_error(response, 403, 'sora.over_quota')
    assert usage(srv)['usage']['VCPU'] == 10
    assert usage(srv)['usage']['instances'] == 10
    listed = srv.request('GET', '/v1/schedules', as_='member').json()
    assert len(listed['schedules']) == 10
    invariants.check_server(srv)


def test_racing_requests_over_workers_never_pass_a_quota(start_server):
    srv = start_server({'api': {'workers': 4}})
    host(srv, 'h1')
    host(srv, 'h2')
    set_limits(srv, 'project-a', {'VCPU': 10})
    _assert_exactly_ten_placed(_race([srv]), srv)


def test_racing_requests_over_two_servers_never_pass_a_quota(start_server,
                                                             tmp_path):
    # One database for both: the run's PostgreSQL, else one SQLite file.
    options = {'api': {'workers': 2}}
    if not sora_server.postgresql_url():
        options['database'] = {
            'connection': 'sqlite:///%s' % (tmp_path / 'shared.sqlite')}
    first = start_server(options)
    second = start_server({'api': {'workers': 2}},
                          database_url=first.database_url)
    host(first, 'h1')
    host(first, 'h2')
    set_limits(first, 'project-a', {'VCPU': 10})
    _assert_exactly_ten_placed(_race([first, second]), second)


def test_racing_gpu_requests_of_two_projects_never_pass_a_tight_quota(
        start_server):
    """project-a may hold 3 GPUs, project-b has no limit; 6 GPUs are
    usable. Whatever order the 40 requests win in: the fleet's GPUs are
    all taken, project-a holds at most 3, usage is what is allocated."""
    srv = start_server({'api': {'workers': 4}})
    srv.request('PUT', '/v1/resource_classes/CUSTOM_GPU', as_='admin')
    # Usable: 4 * 1.0 - 1 = 3 on each host.
    for name in ('g1', 'g2'):
        host(srv, name, inventories={'CUSTOM_GPU': {'total': 4,
                                                    'reserved': 1}})
    host(srv, 'plain')
    assert set_limits(srv, 'project-a', {'CUSTOM_GPU': 3}).status_code == 200
    responses = _race([srv], resources={'vcpus': 1, 'CUSTOM_GPU': 1},
                      identities=('member', 'other'))
    placed = collections.Counter()
    for i, response in enumerate(responses):
        project = ('project-a', 'project-b')[i % 2]
        if response.status_code == 201:
            placed[project] += 1
            continue
        if response.status_code == 403:
            assert project == 'project-a'
            detail = sora_server.assert_error(
                response, 403, 'sora.over_quota')['detail']
            assert 'CUSTOM_GPU' in detail and 'limit 3' in detail
        else:
            sora_server.assert_error(response, 409, 'sora.no_valid_host')
    assert placed['project-a'] <= 3
    assert placed['project-a'] + placed['project-b'] == 6
    # A class shows in usage only while held: project-b may have won all.
    assert usage(srv)['usage'].get('CUSTOM_GPU', 0) == placed['project-a']
    assert usage(srv, 'other')['usage'].get(
        'CUSTOM_GPU', 0) == placed['project-b']
    invariants.check_server(srv)
