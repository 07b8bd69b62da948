"""The client's resource-class, quota and usage requests, on a fake session."""

from sora_api.client import quotas
from sora_api.client import resource_classes
from tests.unit.client.test_http import FakeSession
from tests.unit.client.test_http import client
from tests.unit.client.test_http import response


def test_creating_a_class_says_whether_it_was_new():
    session = FakeSession(response(201, {}), response(204))
    classes = resource_classes.ResourceClassesManager(client(session))
    assert classes.create('CUSTOM_GPU') is True
    assert classes.create('CUSTOM_GPU') is False
    assert [(m, u) for m, u, _ in session.calls] == [
        ('PUT', 'http://sora.test:8770/v1/resource_classes/CUSTOM_GPU')] * 2


def test_class_and_usage_lists_follow_next_links():
    session = FakeSession(
        response(200, {'resource_classes': [{'name': 'VCPU'}], 'links': [
            {'rel': 'next', 'href': '/v1/resource_classes?marker=VCPU'}]}),
        response(200, {'resource_classes': [{'name': 'CUSTOM_A'}]}),
        response(200, {'usages': [{'project_id': 'a'}], 'links': [
            {'rel': 'next',
             'href': '/v1/usages?all_projects=true&marker=a'}]}),
        response(200, {'usages': [{'project_id': 'b'}]}))
    http = client(session)
    assert [c['name'] for c in resource_classes.ResourceClassesManager(
        http).list()] == ['VCPU', 'CUSTOM_A']
    assert [u['project_id'] for u in quotas.UsagesManager(http).list()] == [
        'a', 'b']
    assert session.calls[3][2]['params'] == {'all_projects': ['true'],
                                             'marker': ['a']}


def test_quota_and_usage_requests():
    quota = {'project_id': 'p', 'limits': {'VCPU': 4}, 'usage': {}}
    session = FakeSession(response(200, {'quota': quota}),
                          response(200, {'quota': quota}), response(204),
                          response(200, {'usage': {'project_id': 'p'}}),
                          response(200, {'usage': {'project_id': 'me'}}))
    http = client(session)
    manager = quotas.QuotasManager(http)
    assert manager.get('p') == quota
    assert manager.update('p', {'VCPU': 4}) == quota
    manager.delete('p')
    usages = quotas.UsagesManager(http)
    assert usages.get('p') == {'project_id': 'p'}
    assert usages.get() == {'project_id': 'me'}
    sent = [(m, u.split('8770')[1], k.get('json'), k.get('params'))
            for m, u, k in session.calls]
    assert sent == [
        ('GET', '/v1/quotas/p', None, None),
        ('PUT', '/v1/quotas/p', {'limits': {'VCPU': 4}}, None),
        ('DELETE', '/v1/quotas/p', None, None),
        ('GET', '/v1/usages', None, {'project_id': 'p'}),
        ('GET', '/v1/usages', None, None)]
