"""Discovery and health: ``/``, ``/healthcheck``, ``/openapi.json``."""

from sora_api.api import router


def test_root_lists_v1_as_current_without_a_token(api):
    response = api.request('GET', '/')
    assert response.status_code == 200
    [version] = response.json()['versions']
    assert version['id'] == 'v1.0'
    assert version['status'] == 'CURRENT'
    assert version['links'] == [{'rel': 'self', 'href': api.url + '/v1'}]


def test_healthcheck_is_200_while_the_database_answers(api):
    response = api.request('GET', '/healthcheck')
    assert response.status_code == 200
    assert response.json()['database'] == 'ok'


def test_every_response_carries_a_fresh_request_id(api):
    first = api.request('GET', '/').headers['X-OpenStack-Request-Id']
    second = api.request('GET', '/').headers['X-OpenStack-Request-Id']
    assert first.startswith('req-') and second.startswith('req-')
    assert first != second


def test_openapi_document_describes_exactly_the_routes(api):
    response = api.request('GET', '/openapi.json')
    assert response.status_code == 200
    document = response.json()
    assert document['openapi'].startswith('3.')
    served = {(path, method.lower())
              for path, methods in router.ROUTES.items()
              for method in methods}
    described = {(path, method)
                 for path, item in document['paths'].items()
                 for method in item if method != 'parameters'}
    assert described == served
