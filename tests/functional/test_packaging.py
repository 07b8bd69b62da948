"""Releases, ``pip install`` outside the source tree, third-party plugins.

Each test makes a throwaway virtualenv whose dependencies come from the
test's own environment (a ``.pth`` file), so nothing is downloaded; the
packages under test are built (``python -m build --no-isolation``, or pip
without build isolation) and installed for real, without ``-e``.
"""

import os
import subprocess
import sys
import sysconfig
import textwrap

import pytest

from tests.functional import server as sora_server

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

PLUGIN_SETUP = '''
import setuptools
setuptools.setup(
    name='sora-blue-plugin', version='1.0', py_modules=['sora_blue'],
    entry_points={
        'sora.scheduler.filters': ['OnlyBlueFilter = sora_blue:OnlyBlue'],
        'sora.scheduler.weighers': [
            'LongNameWeigher = sora_blue:LongName'],
    })
'''

PLUGIN_MODULE = '''
"""A third-party filter and weigher for Sora."""

from sora_api.scheduler import filters
from sora_api.scheduler import weighers


class OnlyBlue(filters.BaseHostFilter):
    def host_passes(self, host_state, spec):
        return host_state.metadata.get('color') == 'blue'


class LongName(weighers.BaseHostWeigher):
    def _weigh_object(self, host_state, spec):
        return len(host_state.name)
'''


def _pip_install(venv, *args, cwd):
    subprocess.run([os.path.join(venv, 'bin', 'pip'), 'install', '-q',
                    '--no-deps', '--no-build-isolation', '--no-index',
                    *args], check=True, cwd=cwd)


def _venv(path):
    """A fresh venv at ``path`` that takes dependencies from this one."""
    venv = str(path)
    subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
    site = subprocess.run(
        [os.path.join(venv, 'bin', 'python'), '-c',
         'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
        check=True, capture_output=True, text=True).stdout.strip()
    # Dependencies come from the environment running the tests.
    with open(os.path.join(site, 'sora-test-deps.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    return venv, site


@pytest.fixture(scope='module')
def installed(tmp_path_factory):
    """A venv with sora-api installed from a copy-free, non-editable build."""
    venv, site = _venv(tmp_path_factory.mktemp('venv'))
    workdir = str(tmp_path_factory.mktemp('elsewhere'))
    _pip_install(venv, ROOT, cwd=workdir)
    return venv, site, workdir


def test_the_installed_package_ships_its_paste_file(installed):
    venv, site, _ = installed
    shipped = os.path.join(site, 'sora_api', 'etc', 'api-paste.ini')
    assert os.path.isfile(shipped)
    assert not os.path.islink(os.path.join(site, 'sora_api', 'etc'))


def test_pip_installed_sora_api_serves_from_outside_the_source_tree(
        installed, tmp_path):
    venv, site, workdir = installed
    srv = sora_server.SoraServer(
        tmp_path / 'state', api_command=[os.path.join(venv, 'bin',
                                                      'sora-api')])
    try:
        srv.start()
        response = srv.request('GET', '/v1/hosts', as_='admin')
        assert response.status_code == 200
        # The server really runs the installed copy, not this checkout.
        assert os.path.join(site, 'sora_api') in _module_path(venv)
    finally:
        srv.cleanup()


def _module_path(venv):
    return subprocess.run(
        [os.path.join(venv, 'bin', 'python'), '-c',
         'import sora_api, os; print(os.path.dirname(sora_api.__file__))'],
        check=True, capture_output=True, text=True, cwd='/').stdout


def test_a_third_party_filter_and_weigher_schedule_by_entry_point(
        installed, tmp_path):
    venv, _, workdir = installed
    plugin = tmp_path / 'plugin'
    plugin.mkdir()
    (plugin / 'setup.py').write_text(textwrap.dedent(PLUGIN_SETUP))
    (plugin / 'sora_blue.py').write_text(textwrap.dedent(PLUGIN_MODULE))
    _pip_install(venv, str(plugin), cwd=workdir)
    srv = sora_server.SoraServer(
        tmp_path / 'state',
        options={'filter_scheduler': {
            'enabled_filters': 'RamFilter,OnlyBlueFilter',
            'weighers': 'LongNameWeigher'}},
        api_command=[os.path.join(venv, 'bin', 'sora-api')])
    try:
        srv.start()
        for name, color in (('a-blue', 'blue'), ('bbbbbbbb-blue', 'blue'),
                            ('cccccccccccccccc-red', 'red')):
            assert srv.request('POST', '/v1/hosts', as_='admin', json={
                'name': name, 'vcpus': 4, 'memory_mb': 4096, 'disk_gb': 10,
                'metadata': {'color': color}}).status_code == 201
        request = {'resources': {'memory_mb': 512}}
        dry = srv.request('POST', '/v1/schedules', as_='member',
                          json=dict(request, dry_run=True)).json()
        assert [c['host_name'] for c in dry['candidates']] == [
            'bbbbbbbb-blue', 'a-blue']
        assert dry['candidates'][0]['weights'] == {'LongNameWeigher': 1.0}
        assert [step['filter'] for step in dry['explanation']] == [
            'RamFilter', 'OnlyBlueFilter']
        assert dry['explanation'][1]['hosts_out'] == 2
        placed = srv.request('POST', '/v1/schedules', as_='member',
                             json=request)
        assert placed.status_code == 201
        [allocation] = placed.json()['schedule']['allocations']
        assert allocation['host_name'] == 'bbbbbbbb-blue'
    finally:
        srv.cleanup()
