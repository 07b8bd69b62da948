"""Servers of two releases side by side on one database see each other.

During a rolling upgrade servers of the previous release run next to this
one's on the same, already upgraded database. The previous release here is
the last commit before host changes were read by transaction id; its code
comes from the repository's history and runs with this checkout's
dependencies.
"""

import os
import subprocess
import sys

import pytest

# NOTE: the last commit whose servers read host changes only from the
# host_changes counter (before migration 0004).
PREVIOUS_RELEASE = 'be7ac8b1f770d62c70f2e66b411bc98602d35b59'
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ONE_SLOT = {'vcpus': 2, 'memory_mb': 2048, 'disk_gb': 10,
            'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0}
REQUEST = {'resources': {'vcpus': 2}}


@pytest.fixture
def previous_release(tmp_path):
    """The ``sora-api`` command of the previous release's code."""
    found = subprocess.run(['git', '-C', ROOT, 'cat-file', '-e',
                            PREVIOUS_RELEASE + '^{commit}'],
                           capture_output=True)
    if found.returncode:
        pytest.skip('the previous release %s is not in this clone (shallow?)'
                    % PREVIOUS_RELEASE[:7])
    tree = tmp_path / 'previous'
    tree.mkdir()
    archive = subprocess.run(
        ['git', '-C', ROOT, 'archive', PREVIOUS_RELEASE, 'sora_api', 'etc'],
        capture_output=True, check=True)
    subprocess.run(['tar', '-x', '-C', str(tree)], input=archive.stdout,
                   check=True)
    # NOTE: first on sys.path, ahead of the current directory and of this
    # checkout's editable install.
    return [sys.executable, '-c',
            'import sys; sys.path.insert(0, %r); '
            'import sora_api; assert sora_api.__file__.startswith(%r); '
            'from sora_api.cmd.api import main; sys.exit(main())'
            % (str(tree), str(tree))]


def _candidates(srv):
    response = srv.request('POST', '/v1/schedules', as_='member',
                           json=dict(REQUEST, dry_run=True))
    assert response.status_code == 200, response.text
    return {c['host_name'] for c in response.json()['candidates']}


def _claim(srv, name):
    response = srv.request('POST', '/v1/schedules', as_='member', json=dict(
        REQUEST, hints={'force_hosts': [name]}))
    assert response.status_code == 201, response.text


def test_servers_of_two_releases_on_one_database_see_each_others_changes(
        start_server, previous_release):
    new = start_server({'database': {'legacy_host_change_counter': True}})
    old = start_server(api_command=previous_release, database_url=(
        new.database_url or 'sqlite:///%s/sora.sqlite' % new.workdir))
    names = {'h0', 'h1', 'h2', 'h3'}
    for name in sorted(names):
        response = new.request('POST', '/v1/hosts', as_='admin',
                               json=dict(ONE_SLOT, name=name))
        assert response.status_code == 201, response.text
    assert _candidates(old) == names
    _claim(old, 'h0')
    assert _candidates(new) == names - {'h0'}
    _claim(new, 'h1')
    assert _candidates(old) == names - {'h0', 'h1'}
    # Attribute changes and deletions travel both ways too.
    h2 = old.request('GET', '/v1/hosts?name=h2', as_='admin').json()[
        'hosts'][0]
    response = old.request('PUT', '/v1/hosts/%s' % h2['id'], as_='admin',
                           json={'enabled': False})
    assert response.status_code == 200, response.text
    assert _candidates(new) == {'h3'}
    h3 = new.request('GET', '/v1/hosts?name=h3', as_='admin').json()[
        'hosts'][0]
    response = new.request('DELETE', '/v1/hosts/%s' % h3['id'], as_='admin')
    assert response.status_code == 204, response.text
    assert _candidates(old) == set()
