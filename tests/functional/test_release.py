"""A release: a git tag gives the version, ``python -m build`` the files.

docs/releases.md is the procedure. Each test works on a copy of this
checkout's files (committed or not) in a git repository of its own, so it
can tag without touching the real one; builds run without isolation, so
nothing is downloaded.
"""

import os
import subprocess
import sys

import pytest

from tests import docblocks
from tests.functional import server as sora_server
from tests.functional.test_packaging import ROOT
from tests.functional.test_packaging import _pip_install
from tests.functional.test_packaging import _venv

TAG = '9.8.7'
GIT = ['git', '-c', 'user.name=Sora Release', '-c',
       'user.email=release@sora.invalid', '-c', 'init.defaultBranch=main']


def _copy(dest):
    """The checkout's files (tracked or new, not ignored) under ``dest``."""
    if not os.path.exists(os.path.join(ROOT, '.git')):
        pytest.skip('needs a git checkout to copy the release from')
    files = subprocess.run(
        ['git', 'ls-files', '-z', '--cached', '--others',
         '--exclude-standard'], cwd=ROOT, check=True,
        capture_output=True).stdout.decode().split('\0')
    for name in filter(None, files):
        source = os.path.join(ROOT, name)
        if not os.path.lexists(source):
            continue  # deleted in the work tree, not yet committed
        target = os.path.join(dest, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.islink(source):
            os.symlink(os.readlink(source), target)
        else:
            with open(source, 'rb') as f, open(target, 'wb') as g:
                g.write(f.read())
    return dest


def _git(repo, *args):
    result = subprocess.run(GIT + list(args), cwd=repo, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _repository(path):
    repo = _copy(str(path))
    _git(repo, 'init', '-q')
    _git(repo, 'add', '-A')
    _git(repo, 'commit', '-q', '-m', 'the release')
    return repo


def _scm_version(tree):
    return subprocess.run([sys.executable, '-m', 'setuptools_scm'],
                          cwd=tree, check=True, capture_output=True,
                          text=True).stdout.strip()


def _run_block(name, cwd, **replace):
    script = docblocks.block(name)
    for old, new in replace.items():
        script = script.replace(old, new)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ['PATH'])
    result = subprocess.run(['bash', '-euo', 'pipefail', '-c', script],
                            cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope='module')
def dist(tmp_path_factory):
    """The wheel and sdist the documented release steps build for TAG."""
    repo = _repository(tmp_path_factory.mktemp('checkout'))
    _run_block('release-tag', repo, **{'X.Y.Z': TAG})
    _run_block('release-build', repo)
    return {name.rsplit('.', 1)[-1] if name.endswith('.whl') else 'sdist':
            os.path.join(repo, 'dist', name)
            for name in os.listdir(os.path.join(repo, 'dist'))}


def test_the_tag_is_the_version_of_the_wheel_and_the_sdist(dist):
    assert sorted(dist) == ['sdist', 'whl']
    assert os.path.basename(dist['whl']).startswith(
        'sora_api-%s-py3-none-any' % TAG)
    assert os.path.basename(dist['sdist']) == 'sora_api-%s.tar.gz' % TAG


def _version_of(venv, command):
    return subprocess.run([os.path.join(venv, 'bin', command), '--version'],
                          check=True, capture_output=True,
                          text=True).stdout.strip()


@pytest.mark.parametrize('kind', ['whl', 'sdist'])
def test_a_release_installs_into_a_fresh_venv_and_serves(dist, kind,
                                                         tmp_path):
    venv, site = _venv(tmp_path / 'venv')
    _pip_install(venv, dist[kind], cwd=str(tmp_path))
    assert _version_of(venv, 'sora-api') == TAG
    assert _version_of(venv, 'sora-manage') == TAG
    assert os.path.isfile(os.path.join(site, 'sora_api', 'etc',
                                       'api-paste.ini'))
    srv = sora_server.SoraServer(
        tmp_path / 'state', api_command=[os.path.join(venv, 'bin',
                                                      'sora-api')])
    try:
        srv.start()
        assert srv.request('GET', '/v1/hosts', as_='admin').status_code == 200
        assert 'Sora API %s' % TAG in srv.log()
    finally:
        srv.cleanup()


def test_commits_after_a_tag_are_development_versions_of_the_next(tmp_path):
    repo = _repository(tmp_path / 'checkout')
    _git(repo, 'tag', '-a', TAG, '-m', 'Sora API ' + TAG)
    _git(repo, 'commit', '-q', '--allow-empty', '-m', 'after the release')
    assert _scm_version(repo).startswith('9.8.8.dev1+g')


def test_a_clone_without_tags_is_a_development_version(tmp_path):
    repo = _repository(tmp_path / 'checkout')
    assert _scm_version(repo).startswith('0.0.1.dev1+g')


def test_a_copy_without_git_is_version_0_0_0(tmp_path):
    assert _scm_version(_copy(str(tmp_path))) == '0.0.0'
