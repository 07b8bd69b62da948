"""A scraper reads ``/metrics`` with a Bearer token good for nothing else."""

import pytest

from tests.functional.server import assert_error
from tests.functional.test_auth import create_token


@pytest.fixture(scope='module')
def scraper(api):
    """The secret of a ``metrics_reader`` token made with ``sora-manage``."""
    return create_token(api, 'metrics_reader', user='prometheus',
                        project='ops')[1]


def bearer(secret):
    return {'Authorization': 'Bearer ' + secret}


def test_a_bearer_token_authenticates_like_x_auth_token(api):
    response = api.request('GET', '/v1/hosts',
                           headers=bearer(api.tokens['admin']))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize('value', ['Bearer not-a-token', 'Bearer ',
                                   'Basic YWRtaW46YWRtaW4='])
def test_an_unknown_bearer_token_or_another_scheme_is_401(api, value):
    response = api.request('GET', '/v1/hosts',
                           headers={'Authorization': value})
    assert_error(response, 401, 'sora.unauthorized')


def test_the_scheme_is_case_insensitive(api):
    response = api.request('GET', '/v1/hosts', headers={
        'Authorization': 'bearer ' + api.tokens['admin']})
    assert response.status_code == 200, response.text


def test_a_metrics_reader_token_reads_metrics(api, scraper):
    response = api.request('GET', '/metrics', headers=bearer(scraper))
    assert response.status_code == 200, response.text
    assert 'sora_http_requests_total' in response.text


@pytest.mark.parametrize('method,path', [
    ('GET', '/v1/hosts'),
    ('POST', '/v1/hosts'),
    ('GET', '/v1/schedules'),
    ('POST', '/v1/schedules'),
    ('GET', '/v1/schedules?all_projects=true'),
])
def test_a_metrics_reader_token_may_do_nothing_else(api, scraper, method,
                                                    path):
    body = {'name': 'never', 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1} \
        if path == '/v1/hosts' else {'resources': {'vcpus': 1}}
    response = api.request(method, path, headers=bearer(scraper),
                           json=body if method == 'POST' else None)
    assert_error(response, 403, 'sora.forbidden')
