"""``GET /v1/groups?all_projects=true`` and ``GET /v1/groups/{name}?
project_id=P`` for admins, and group names that need escaping in a URL."""

import urllib.parse

import pytest

from sora_api.client import Client
from tests.functional.server import assert_error

ZONE_ANTI = {'group_policy': 'anti-affinity',
             'group_topology_key': 'availability_zone'}


def with_hosts(srv):
    for i in range(4):
        response = srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': 'h%d' % i, 'availability_zone': 'az%d' % i, 'vcpus': 8,
            'memory_mb': 8192, 'disk_gb': 100})
        assert response.status_code == 201, response.text
    return srv


@pytest.fixture
def server(start_server):
    return with_hosts(start_server())


@pytest.fixture(scope='module')
def refusing(start_module_server):
    """A server shared by the cases below that only check a request is
    refused, whatever groups earlier cases made."""
    return with_hosts(start_module_server())


def schedule(srv, name, as_='member', **hints):
    response = srv.request('POST', '/v1/schedules', as_=as_, json={
        'resources': {'vcpus': 1}, 'hints': dict(hints, group=name)})
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def path(name):
    return '/v1/groups/' + urllib.parse.quote(name, safe='')


def test_an_admin_lists_every_projects_groups_with_their_project(server):
    schedule(server, 'web', **ZONE_ANTI)
    schedule(server, 'web', **ZONE_ANTI)
    schedule(server, 'db', group_policy='affinity')
    schedule(server, 'web', as_='other', group_policy='soft-anti-affinity')
    response = server.request('GET', '/v1/groups?all_projects=true',
                              as_='admin')
    assert response.status_code == 200, response.text
    assert response.json() == {'groups': [
        {'project_id': 'project-a', 'name': 'db', 'policy': 'affinity',
         'topology_key': 'host', 'max_per_domain': None, 'members': 1},
        {'project_id': 'project-a', 'name': 'web',
         'policy': 'anti-affinity', 'topology_key': 'availability_zone',
         'max_per_domain': 1, 'members': 2},
        {'project_id': 'project-b', 'name': 'web',
         'policy': 'soft-anti-affinity', 'topology_key': 'host',
         'max_per_domain': None, 'members': 1}]}
    # Without it, an admin sees its own project's, as anyone does.
    own = server.request('GET', '/v1/groups', as_='admin').json()
    assert own == {'groups': []}
    # And an admin shows another project's group by naming the project.
    response = server.request('GET', '/v1/groups/web?project_id=project-b',
                              as_='admin')
    assert response.status_code == 200, response.text
    shown = response.json()['group']
    assert (shown['policy'], len(shown['members'])) == (
        'soft-anti-affinity', 1)


def test_every_projects_groups_are_paginated_by_project_then_name(server):
    for name in ('c', 'a', 'b'):
        schedule(server, name)
        schedule(server, name, as_='other')
    seen, url = [], '/v1/groups?all_projects=true&limit=2'
    while url:
        response = server.request('GET', url, as_='admin')
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body['groups']) <= 2
        seen += [(g['project_id'], g['name']) for g in body['groups']]
        links = body.get('links', [])
        url = None
        if links:
            parts = urllib.parse.urlsplit(links[0]['href'])
            url = parts.path + '?' + parts.query
    assert seen == [(p, n) for p in ('project-a', 'project-b')
                    for n in 'abc']
    assert_error(server.request(
        'GET', '/v1/groups?all_projects=true&marker=project-a/zzz',
        as_='admin'), 400, 'sora.invalid_request')


@pytest.mark.parametrize('as_', ['member', 'reader'])
def test_only_an_admin_sees_other_projects_groups(refusing, as_):
    server = refusing
    schedule(server, 'web', as_='other')
    assert_error(server.request('GET', '/v1/groups?all_projects=true',
                                as_=as_), 403, 'sora.forbidden')
    assert_error(server.request('GET', '/v1/groups/web?project_id=project-b',
                                as_=as_), 403, 'sora.forbidden')


@pytest.mark.parametrize('query', [
    'all_projects=yes', 'all_projects=true&all_projects=false',
    'project_id=project-b'])
def test_bad_list_queries_are_400(refusing, query):
    server = refusing
    assert_error(server.request('GET', '/v1/groups?' + query, as_='admin'),
                 400, 'sora.invalid_request')


def test_an_unknown_project_or_group_is_404(server):
    schedule(server, 'web')
    assert_error(server.request('GET', '/v1/groups/web?project_id=nobody',
                                as_='admin'), 404, 'sora.not_found')
    assert_error(server.request('GET', '/v1/groups/web?project_id=',
                                as_='admin'), 400, 'sora.invalid_request')


@pytest.mark.parametrize('name', [
    'a/b', 'with space', 'caf\u00e9 \u6f22\u5b57', '100%', 'q?x=1#frag',
    'a%2Fb', 'trailing/', '.hidden'])
def test_a_group_name_that_needs_escaping_is_shown(server, name):
    placed = schedule(server, name, **ZONE_ANTI)
    response = server.request('GET', path(name), as_='member')
    assert response.status_code == 200, response.text
    shown = response.json()['group']
    assert shown['name'] == name
    assert [m['schedule_id'] for m in shown['members']] == [placed['id']]
    listed = server.request('GET', '/v1/groups', as_='member').json()
    assert [g['name'] for g in listed['groups']] == [name]
    # The listing's marker round-trips too.
    response = server.request(
        'GET', '/v1/groups?marker=' + urllib.parse.quote(name, safe=''),
        as_='member')
    assert response.status_code == 200, response.text
    assert response.json() == {'groups': []}


def test_the_client_finds_any_name_and_another_projects_group(server):
    names = ['..', '.', 'a/b', 'caf\u00e9']
    for name in names:
        schedule(server, name, as_='other')
    with Client(server.url, server.tokens['other'], timeout=10) as other:
        for name in names:
            assert other.groups.get(name)['name'] == name
        assert sorted(g['name'] for g in other.groups.list()) == sorted(
            names)
    with Client(server.url, server.tokens['admin'], timeout=10) as admin:
        assert admin.groups.get('..', project_id='project-b')['name'] == '..'
        assert [(g['project_id'], g['name'])
                for g in admin.groups.list(all_projects=True, limit=1)] == [
            ('project-b', n) for n in sorted(names)]
