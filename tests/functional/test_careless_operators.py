"""Careless operators (issue 10, item 6): broken policy files, file modes,
an untrusted ``Host`` header. Each test failed before the fix."""

import os
import stat
import subprocess

import pytest

from tests.functional import server as sora_server
from tests.functional.server import wait_for

BROKEN_POLICIES = {
    'YAML syntax': ('"sora:host:list": "rule:admin"\n'
                    '"sora:host:show": "rule:admin"\n'
                    '"sora:schedule:list": [unclosed\n', 3),
    'a rule that does not parse': ('# operators\n\n'
                                   '"sora:host:list": "role:admin or"\n', 3),
    'a reference to no rule': ('"sora:host:list": "rule:admin"\n'
                               '"sora:host:show": "rule:admins"\n', 2),
    'a misspelt rule name': ('"sora:schedule:craete": "role:admin"\n', 1),
    'not a mapping': ('- "sora:host:list"\n', 1),
    'tabs for indentation': ('"sora:host:list":\n\t"rule:admin"\n', 2),
}


# NOTE: sora-api and sora-manage check the policy file before they open
# the database (cmd/api.py's _serve, policy_file.check), so a broken file
# stops them the same on any: an SQLite file of the test's own, and the
# PostgreSQL and MariaDB passes leave it out (pytest.ini).
@pytest.mark.database_independent
@pytest.mark.parametrize('kind', sorted(BROKEN_POLICIES))
def test_a_malformed_policy_file_stops_sora_api_naming_file_and_line(
        tmp_path, kind):
    text, line = BROKEN_POLICIES[kind]
    policy = tmp_path / 'policy.yaml'
    policy.write_text(text)
    srv = sora_server.SoraServer(tmp_path / 'srv', {
        'oslo_policy': {'policy_file': str(policy)},
        'database': {'connection': 'sqlite:///%s' % (tmp_path / 'db')}})
    try:
        with pytest.raises(RuntimeError) as failed:
            srv.start()
        assert srv.process.returncode == 2
        assert 'policy file %s, line %d:' % (policy, line) in str(
            failed.value)
        result = manage(srv, 'policy', 'check')
        assert result.returncode == 1
        assert 'policy file %s, line %d:' % (policy, line) in result.stderr
    finally:
        srv.cleanup()


def manage(srv, *args):
    return subprocess.run(
        sora_server.command('sora-manage')
        + ['--config-file', srv.config_file] + list(args),
        capture_output=True, text=True, timeout=60)


def test_policy_check_accepts_a_good_file_and_no_file(tmp_path):
    policy = tmp_path / 'policy.yaml'
    policy.write_text('# readers may see hosts\n'
                      '"sora:host:list": "rule:admin_or_reader"\n'
                      '"sora:host:show": "role:admin or role:reader"\n'
                      '"custom": "role:auditor"\n'
                      '"sora:metrics:show": "rule:custom"\n')
    srv = sora_server.SoraServer(tmp_path / 'srv', {
        'oslo_policy': {'policy_file': str(policy)}})
    try:
        result = manage(srv, 'policy', 'check')
        assert result.returncode == 0, result.stderr
        assert 'Policy file %s is valid.' % policy in result.stdout
        srv.start()
        assert srv.request('GET', '/v1/hosts', as_='reader'
                           ).status_code == 200
        policy.unlink()
        result = manage(srv, 'policy', 'check')
        assert result.returncode == 0, result.stderr
        assert 'defaults in code apply' in result.stdout
    finally:
        srv.cleanup()


def edit(path, text):
    """Rewrite ``path`` with a later mtime than before, whatever the clock:
    oslo.policy reloads a file only when its mtime grows."""
    before = os.stat(path).st_mtime_ns
    path.write_text(text)
    later = before + 10 ** 9
    os.utime(path, ns=(later, later))


def test_a_policy_file_broken_while_serving_keeps_the_last_good_rules(
        tmp_path):
    policy = tmp_path / 'policy.yaml'
    good = '"sora:host:list": "rule:admin_or_reader"\n'
    policy.write_text(good)
    srv = sora_server.SoraServer(tmp_path / 'srv', {
        'oslo_policy': {'policy_file': str(policy)}})
    try:
        srv.start()
        assert srv.request('GET', '/v1/hosts', as_='reader'
                           ).status_code == 200
        edit(policy, '"sora:host:list": "rule:admin"\n'
                     '"sora:host:show": [broken\n')
        # Every answer follows the rules read last, never a 5xx.
        for _ in range(20):
            for who, status in (('reader', 200), ('admin', 200),
                                ('norole', 403)):
                response = srv.request('GET', '/v1/hosts', as_=who)
                assert response.status_code == status, response.text
        assert 'policy file %s, line 2' % policy in srv.log()
        assert manage(srv, 'policy', 'check').returncode == 1
        edit(policy, '"sora:host:list": "rule:admin"\n')
        wait_for(lambda: srv.request('GET', '/v1/hosts', as_='reader'
                                     ).status_code == 403)
    finally:
        srv.cleanup()


@pytest.mark.skipif(bool(sora_server.server_database_url()),
                    reason='the files of the SQLite default')
def test_the_state_directory_is_0700_and_database_files_0600(tmp_path):
    state = tmp_path / 'srv' / 'state' / 'sora'
    # noauth: no test-side token setup, so sora-api itself makes them.
    srv = sora_server.SoraServer(tmp_path / 'srv', {
        'DEFAULT': {'state_path': str(state)},
        'api': {'auth_strategy': 'noauth'}})
    try:
        srv.start()
        response = srv.request('POST', '/v1/hosts', json={
            'name': 'modes', 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1},
            headers={'X-Roles': 'admin', 'X-User-Id': 'u',
                     'X-Project-Id': 'p'})
        assert response.status_code == 201, response.text
        assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
        files = sorted(os.listdir(state))
        assert 'sora.sqlite' in files
        for name in files:
            if name.startswith('sora.sqlite'):
                mode = stat.S_IMODE(os.stat(state / name).st_mode)
                assert mode == 0o600, (name, oct(mode))
    finally:
        srv.cleanup()


PUBLIC = 'https://sora.example.com/scheduler'


@pytest.fixture(scope='module')
def public(tmp_path_factory):
    srv = sora_server.SoraServer(tmp_path_factory.mktemp('public'), {
        'api': {'public_endpoint': PUBLIC + '/', 'max_limit': 1}})
    srv.start()
    yield srv
    srv.cleanup()


EVIL = {'Host': 'evil.example.net', 'X-Forwarded-Host': 'evil.example.net',
        'X-Forwarded-Proto': 'http'}


def test_the_host_header_is_not_trusted_for_location(public):
    response = public.request('POST', '/v1/hosts', as_='admin', headers=EVIL,
                              json={'name': 'loc', 'vcpus': 8,
                                    'memory_mb': 4096, 'disk_gb': 10})
    assert response.status_code == 201, response.text
    host_id = response.json()['host']['id']
    assert response.headers['Location'] == '%s/v1/hosts/%s' % (PUBLIC,
                                                              host_id)
    response = public.request('POST', '/v1/schedules', as_='member',
                              headers=EVIL,
                              json={'resources': {'vcpus': 1}})
    assert response.status_code == 201, response.text
    schedule_id = response.json()['schedule']['id']
    assert response.headers['Location'] == '%s/v1/schedules/%s' % (
        PUBLIC, schedule_id)


def test_the_host_header_is_not_trusted_for_links(public):
    versions = public.request('GET', '/', headers=EVIL).json()
    assert versions['versions'][0]['links'] == [
        {'rel': 'self', 'href': PUBLIC + '/v1'}]
    for name in ('a', 'b'):
        public.request('POST', '/v1/hosts', as_='admin', json={
            'name': 'link-' + name, 'vcpus': 1, 'memory_mb': 1,
            'disk_gb': 1})
    page = public.request('GET', '/v1/hosts', as_='admin', headers=EVIL,
                          params={'limit': 1}).json()
    [link] = page['links']
    assert link['href'].startswith(PUBLIC + '/v1/hosts?'), link
    document = public.request('GET', '/openapi.json', headers=EVIL).json()
    assert 'evil.example.net' not in str(document)


def test_without_public_endpoint_links_follow_the_request(api):
    versions = api.request('GET', '/').json()
    assert versions['versions'][0]['links'] == [
        {'rel': 'self', 'href': api.url + '/v1'}]


def test_dry_runs_can_be_kept_to_admins_by_policy(tmp_path):
    """A dry run shows host names and which hosts have room: its own rule,
    members' by default (test_schedules), admins' when narrowed."""
    policy = tmp_path / 'policy.yaml'
    policy.write_text('"sora:schedule:create:dry_run": "rule:admin"\n')
    srv = sora_server.SoraServer(tmp_path / 'srv', {
        'oslo_policy': {'policy_file': str(policy)}})
    try:
        srv.start()
        response = srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': 'dry', 'vcpus': 8, 'memory_mb': 4096, 'disk_gb': 10})
        assert response.status_code == 201, response.text
        body = {'resources': {'vcpus': 1}, 'dry_run': True}
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json=body)
        assert response.status_code == 403, response.text
        assert response.json()['errors'][0]['code'] == 'sora.forbidden'
        admin = srv.request('POST', '/v1/schedules', as_='admin', json=body)
        assert [c['host_name'] for c in admin.json()['candidates']] == [
            'dry']
        body['dry_run'] = False
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json=body)
        assert response.status_code == 201, response.text
    finally:
        srv.cleanup()
