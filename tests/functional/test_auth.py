"""Who may call what: tokens, roles, ``sora-manage token``, noauth, policy."""

import subprocess
import time

import pytest

from sora_api.db import tokens
from tests.functional import server as sora_server
from tests.functional.server import assert_error

UNKNOWN_ID = '00000000-0000-4000-8000-000000000000'

# Every host endpoint, with a body that would be valid for it.
HOST_ENDPOINTS = [
    ('GET', '/v1/hosts', None),
    ('POST', '/v1/hosts', {'name': 'never-created', 'vcpus': 1,
                           'memory_mb': 1, 'disk_gb': 1}),
    ('GET', '/v1/hosts/{id}', None),
    ('PUT', '/v1/hosts/{id}', {'vcpus': 1}),
    ('DELETE', '/v1/hosts/{id}', None),
    ('POST', '/v1/hosts/{id}/heartbeat', {'io_ops': 1}),
]
ENDPOINT_IDS = ['%s %s' % (method, path) for method, path, _ in HOST_ENDPOINTS]


def manage(api, *args):
    """Run the installed ``sora-manage`` against ``api``'s configuration."""
    return subprocess.run(
        sora_server.command('sora-manage')
        + ['--config-file', api.config_file] + list(args),
        capture_output=True, text=True, timeout=60, check=True)


def create_token(api, *roles, user='cli-user', project='cli-project'):
    """``(token id, secret)`` from ``sora-manage token create``."""
    args = ['token', 'create', '--user', user, '--project', project]
    for role in roles:
        args += ['--role', role]
    lines = manage(api, *args).stdout.strip().splitlines()
    [created] = [line for line in lines if line.startswith('Created token')]
    return created.split()[2], lines[-1]


def shown(api, host):
    response = api.request('GET', '/v1/hosts/' + host['id'], as_='admin')
    assert response.status_code == 200, response.text
    return response.json()['host']


# -- authentication ---------------------------------------------------------

@pytest.mark.parametrize('method,path,body', HOST_ENDPOINTS, ids=ENDPOINT_IDS)
def test_a_request_without_a_token_is_401_with_a_challenge(
        api, make_host, method, path, body):
    host = make_host()
    response = api.request(method, path.format(id=host['id']), json=body)
    assert_error(response, 401, 'sora.unauthorized')
    assert response.headers['WWW-Authenticate']
    assert shown(api, host) == host


@pytest.mark.parametrize('token', ['not-a-token', 'x' * 43, ''],
                         ids=['word', 'secret-shaped', 'empty'])
def test_an_unknown_token_is_401_with_a_challenge(api, token):
    response = api.request('GET', '/v1/hosts', token=token)
    assert_error(response, 401, 'sora.unauthorized')
    assert response.headers['WWW-Authenticate']


@pytest.mark.parametrize('who', ['member', 'reader', 'norole', 'other'])
@pytest.mark.parametrize('method,path,body', HOST_ENDPOINTS, ids=ENDPOINT_IDS)
def test_only_an_admin_may_use_the_host_endpoints(api, make_host, who,
                                                  method, path, body):
    host = make_host()
    response = api.request(method, path.format(id=host['id']), as_=who,
                           json=body)
    assert_error(response, 403, 'sora.forbidden')
    assert shown(api, host) == host


def test_a_refused_create_creates_nothing(api):
    for who in ('member', 'reader', 'norole'):
        api.request('POST', '/v1/hosts', as_=who, json=HOST_ENDPOINTS[1][2])
    response = api.request('GET', '/v1/hosts', as_='admin',
                           params={'name': 'never-created'})
    assert response.json()['hosts'] == []


@pytest.mark.parametrize('path', ['/', '/healthcheck', '/openapi.json'])
def test_discovery_and_health_need_no_token(api, path):
    response = api.request('GET', path)
    assert response.status_code == 200, response.text
    assert 'WWW-Authenticate' not in response.headers


@pytest.mark.parametrize('path', ['/', '/healthcheck', '/openapi.json'])
def test_discovery_ignores_a_bad_token(api, path):
    assert api.request('GET', path, token='not-a-token').status_code == 200


# -- sora-manage token ------------------------------------------------------

def test_a_token_from_sora_manage_works_and_token_list_hides_its_secret(
        api):
    token_id, secret = create_token(api, 'admin')
    response = api.request('GET', '/v1/hosts', token=secret)
    assert response.status_code == 200, response.text
    listed = manage(api, 'token', 'list')
    output = listed.stdout + listed.stderr
    assert token_id in listed.stdout
    assert 'admin-user' in listed.stdout and 'project-b' in listed.stdout
    for known in [secret] + list(api.tokens.values()):
        assert known not in output
        assert tokens.hash_secret(known) not in output


def test_a_token_revoked_with_sora_manage_stops_working(start_server):
    server = start_server({'api': {'token_cache_time': 0}})
    token_id, secret = create_token(server, 'reader', 'member')
    # Known, with the roles it was given: not an admin, so 403, not 401.
    assert_error(server.request('GET', '/v1/hosts', token=secret),
                 403, 'sora.forbidden')
    manage(server, 'token', 'revoke', token_id)
    response = server.request('GET', '/v1/hosts', token=secret)
    assert_error(response, 401, 'sora.unauthorized')
    assert response.headers['WWW-Authenticate']
    # Other tokens are untouched.
    assert server.request('GET', '/v1/hosts', as_='admin').status_code == 200


def test_a_revoked_token_stops_working_within_the_token_cache_time(api):
    cache_time = api.config().api.token_cache_time
    assert cache_time > 0
    token_id, secret = create_token(api, 'reader', 'member')
    assert api.request('GET', '/v1/hosts', token=secret).status_code == 403
    manage(api, 'token', 'revoke', token_id)
    revoked_at = time.monotonic()
    while True:
        response = api.request('GET', '/v1/hosts', token=secret)
        if response.status_code == 401:
            break
        assert response.status_code == 403
        assert time.monotonic() - revoked_at < cache_time + 10
        time.sleep(0.2)
    assert_error(response, 401, 'sora.unauthorized')


# -- noauth -----------------------------------------------------------------

@pytest.fixture(scope='module')
def noauth(tmp_path_factory):
    """One noauth server for this module's tests (they change nothing)."""
    srv = sora_server.SoraServer(tmp_path_factory.mktemp('noauth'), {
        'api': {'auth_strategy': 'noauth'}})
    srv.start()
    yield srv
    srv.cleanup()


def identity(user, project, roles):
    return {'X-User-Id': user, 'X-Project-Id': project, 'X-Roles': roles}


def test_noauth_takes_the_identity_from_the_headers(noauth, unique):
    admin = identity('ops', 'ops-project', 'admin')
    response = noauth.request('POST', '/v1/hosts', headers=admin, json={
        'name': unique(), 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    assert response.status_code == 201, response.text
    response = noauth.request(
        'GET', '/v1/hosts', headers=identity('dev', 'dev-project', 'member'))
    assert_error(response, 403, 'sora.forbidden')
    response = noauth.request('GET', '/v1/hosts', headers=dict(
        admin, **{'X-Roles': 'reader, Admin'}))
    assert response.status_code == 200, response.text
    # The access log names who it believed. The line is written when the
    # server closes the response, maybe just after the client read it.
    request_id = response.headers['X-OpenStack-Request-Id']
    expected = 'request_id: %s user: ops project: ops-project' % request_id
    deadline = time.monotonic() + 5
    while expected not in noauth.log():
        assert time.monotonic() < deadline, noauth.log()[-2000:]
        time.sleep(0.05)


@pytest.mark.parametrize('headers', [
    {}, {'X-Roles': 'admin'},
    {'X-User-Id': 'ops', 'X-Roles': 'admin'},
    {'X-Project-Id': 'ops-project', 'X-Roles': 'admin'}],
    ids=['none', 'roles only', 'no project', 'no user'])
def test_noauth_without_user_and_project_is_401(noauth, headers):
    response = noauth.request('GET', '/v1/hosts', headers=headers)
    assert_error(response, 401, 'sora.unauthorized')
    assert response.headers['WWW-Authenticate']


def test_noauth_ignores_a_token(noauth):
    response = noauth.request('GET', '/v1/hosts',
                              headers={'X-Auth-Token': 'anything'})
    assert_error(response, 401, 'sora.unauthorized')


# -- policy overrides -------------------------------------------------------

def test_a_policy_file_override_takes_effect(start_server, tmp_path):
    policy_file = tmp_path / 'policy.yaml'
    policy_file.write_text('"sora:host:list": "role:reader"\n')
    srv = start_server(options={
        'oslo_policy': {'policy_file': str(policy_file)}})
    assert srv.request('GET', '/v1/hosts', as_='reader').status_code == 200
    # The rule is replaced, not extended: admin no longer matches it.
    assert_error(srv.request('GET', '/v1/hosts', as_='admin'),
                 403, 'sora.forbidden')
    assert_error(srv.request('GET', '/v1/hosts', as_='member'),
                 403, 'sora.forbidden')
    # Rules the file does not name keep their defaults.
    response = srv.request('POST', '/v1/hosts', as_='reader', json={
        'name': 'h', 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    assert_error(response, 403, 'sora.forbidden')
    response = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'h', 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1})
    assert response.status_code == 201, response.text


def test_sora_manage_prints_only_its_output_on_stdout(api):
    result = subprocess.run(
        sora_server.command('sora-manage')
        + ['--config-file', api.config_file, 'token', 'create',
           '--user', 'quiet', '--project', 'p', '--role', 'reader'],
        capture_output=True, text=True, timeout=60, check=True)
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith('Created token ')
    assert len(lines) == 3
    assert 'INFO' not in result.stdout
