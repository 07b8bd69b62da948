"""Pages of the resource class list and of every project's usage, as the
contract's Conventions say, against a real server and through the client."""

import urllib.parse

import pytest

from sora_api.client import Client
from tests.functional import server as sora_server

CLASSES = ['VCPU', 'MEMORY_MB', 'DISK_GB', 'CUSTOM_A', 'CUSTOM_B',
           'CUSTOM_C']


@pytest.fixture(scope='module')
def server(tmp_path_factory):
    """A server of its own whose ``[api] max_limit`` is 2, with three
    custom classes and three projects holding something."""
    srv = sora_server.SoraServer(tmp_path_factory.mktemp('rc-pages'),
                                 {'api': {'max_limit': 2}})
    srv.start()
    for name in CLASSES[3:]:
        assert srv.request('PUT', '/v1/resource_classes/' + name,
                           as_='admin').status_code == 201
    response = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'h1', 'vcpus': 16, 'memory_mb': 16384, 'disk_gb': 10,
        'inventories': {'CUSTOM_A': {'total': 4}}})
    assert response.status_code == 201, response.text
    for identity in ('admin', 'member', 'other'):
        response = srv.request('POST', '/v1/schedules', as_=identity, json={
            'resources': {'vcpus': 1, 'CUSTOM_A': 1}})
        assert response.status_code == 201, response.text
    yield srv
    srv.cleanup()


def _get(srv, path):
    response = srv.request('GET', path, as_='admin')
    assert response.status_code == 200, response.text
    return response.json()


def _next(body):
    [link] = body['links']
    assert link['rel'] == 'next'
    return urllib.parse.urlsplit(link['href'])


def _walk(srv, path, key):
    """Every item of a list, following its ``next`` links; and the pages."""
    items, pages = [], 0
    while path:
        body = _get(srv, path)
        items += body[key]
        pages += 1
        if 'links' not in body:
            break
        href = _next(body)
        path = href.path + '?' + href.query
    return items, pages


def test_the_class_list_pages_by_name_at_max_limit_by_default(server):
    body = _get(server, '/v1/resource_classes')
    assert [c['name'] for c in body['resource_classes']] == CLASSES[:2]
    href = _next(body)
    assert urllib.parse.parse_qs(href.query) == {
        'limit': ['2'], 'marker': ['MEMORY_MB']}
    classes, pages = _walk(server, '/v1/resource_classes', 'resource_classes')
    assert [c['name'] for c in classes] == CLASSES
    assert pages == 3
    body = _get(server, '/v1/resource_classes?limit=1&marker=CUSTOM_B')
    assert body['resource_classes'] == [{'name': 'CUSTOM_C',
                                         'standard': False}]
    assert 'links' not in body
    # More than max_limit is never returned.
    assert len(_get(server, '/v1/resource_classes?limit=50')[
        'resource_classes']) == 2


def test_every_projects_usage_pages_by_project_id(server):
    body = _get(server, '/v1/usages?all_projects=true&limit=1')
    assert [u['project_id'] for u in body['usages']] == ['admin-project']
    assert urllib.parse.parse_qs(_next(body).query) == {
        'all_projects': ['true'], 'limit': ['1'],
        'marker': ['admin-project']}
    usages, pages = _walk(server, '/v1/usages?all_projects=true&limit=1',
                          'usages')
    assert [u['project_id'] for u in usages] == [
        'admin-project', 'project-a', 'project-b']
    assert pages == 3
    assert all(u['CUSTOM_A'] == 1 and u['instances'] == 1 for u in usages)
    body = _get(server, '/v1/usages?all_projects=true')
    assert len(body['usages']) == 2 and 'links' in body


def test_the_client_follows_the_pages_of_both_lists(server):
    with Client(server.url, server.tokens['admin'], timeout=10) as client:
        assert [c['name'] for c in client.resource_classes.list()] == CLASSES
        assert [u['project_id'] for u in client.usages.list()] == [
            'admin-project', 'project-a', 'project-b']


@pytest.mark.parametrize('path', [
    '/v1/resource_classes?limit=0',
    '/v1/resource_classes?limit=-1',
    '/v1/resource_classes?limit=two',
    '/v1/resource_classes?marker=CUSTOM_NOPE',
    '/v1/resource_classes?marker=',
    '/v1/resource_classes?limit=1&limit=2',
    '/v1/resource_classes?colour=blue',
    '/v1/usages?all_projects=true&limit=0',
    '/v1/usages?all_projects=true&marker=project-nope',
    '/v1/usages?all_projects=true&marker=',
    '/v1/usages?limit=1',
    '/v1/usages?marker=project-a',
])
def test_a_bad_limit_or_marker_is_400(server, path):
    sora_server.assert_error(server.request('GET', path, as_='admin'),
                             400, 'sora.invalid_request')
