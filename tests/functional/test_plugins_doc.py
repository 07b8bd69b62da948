"""docs/plugins.md's filter, weigher, driver and package, as printed.

The page's Python blocks become ``my_sora_plugins.py`` and its
``setup.py``; the package is installed next to a non-editable sora-api in
a fresh virtualenv (offline, see test_packaging.py), enabled with the
page's configuration, and checked with the page's dry run.
"""

import configparser
import os
import subprocess

from tests import docblocks
from tests.functional import server as sora_server
from tests.functional.test_packaging import _pip_install
from tests.functional.test_packaging import installed  # noqa: F401

HOSTS = [('r1-low', 'r1', 100), ('r1-high', 'r1', 500), ('r2-top', 'r2', 900)]


def _install_plugins(venv, tmp_path, workdir):
    package = tmp_path / 'my-sora-plugins'
    package.mkdir()
    (package / 'my_sora_plugins.py').write_text('\n\n'.join(
        docblocks.block(name) for name in
        ('plugin-filter', 'plugin-weigher', 'plugin-driver')))
    (package / 'setup.py').write_text(docblocks.block('plugin-setup'))
    _pip_install(venv, str(package), cwd=workdir)


def _serve(venv, tmp_path, options):
    srv = sora_server.SoraServer(
        tmp_path / 'state', options=options,
        api_command=[os.path.join(venv, 'bin', 'sora-api')])
    srv.start()
    for name, rack, watts in HOSTS:
        assert srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'vcpus': 8, 'memory_mb': 16384, 'disk_gb': 100,
            'metadata': {'rack': rack, 'spare_watts': str(watts)}},
        ).status_code == 201
    return srv


def _documented_options():
    parser = configparser.ConfigParser()
    parser.read_string(docblocks.block('plugin-config'))
    return {group: dict(parser[group]) for group in parser.sections()}


def test_the_documented_filter_and_weigher_schedule(installed,  # noqa: F811
                                                    tmp_path):
    venv, _, workdir = installed
    _install_plugins(venv, tmp_path, workdir)
    srv = _serve(venv, tmp_path, _documented_options())
    try:
        env = dict(os.environ, SORA_URL=srv.url,
                   SORA_TOKEN=srv.tokens['member'],
                   PATH=os.path.join(venv, 'bin') + os.pathsep
                   + os.environ['PATH'])
        result = subprocess.run(
            ['bash', '-euo', 'pipefail', '-c',
             docblocks.block('plugin-dry-run')], env=env, cwd=workdir,
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert 'RackFilter' in result.stdout
        assert 'RackPowerWeigher=' in result.stdout
        dry = srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}, 'metadata': {'rack': 'r1'},
            'dry_run': True}).json()
        assert [c['host_name'] for c in dry['candidates']][0] == 'r1-high'
        assert {c['host_name'] for c in dry['candidates']} == {
            'r1-low', 'r1-high'}
    finally:
        srv.cleanup()


def test_the_documented_driver_schedules(installed, tmp_path):  # noqa: F811
    venv, _, workdir = installed
    _install_plugins(venv, tmp_path, workdir)
    srv = _serve(venv, tmp_path, {'scheduler': {'driver': 'rack_scheduler'}})
    try:
        placed = srv.request('POST', '/v1/schedules', as_='member', json={
            'resources': {'vcpus': 1}, 'metadata': {'rack': 'r1'}})
        assert placed.status_code == 201, placed.text
        [allocation] = placed.json()['schedule']['allocations']
        assert allocation['host_name'] == 'r1-high'
    finally:
        srv.cleanup()
