"""Debian's Prometheus scrapes a server with docs/operations.md's job.

Skipped when the ``prometheus`` package (``prometheus``, ``promtool``) is
not installed; ``.ci/run`` installs it.
"""

import os
import shutil
import socket
import subprocess
import sys

import pytest
import requests
import yaml

from tests import docblocks
from tests.functional.server import wait_for

pytestmark = pytest.mark.skipif(
    not (shutil.which('promtool') and shutil.which('prometheus')),
    reason='Prometheus is not installed (apt-get install prometheus)')

BIN = os.path.dirname(sys.executable)


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def scrape_config(api, tmp_path):
    """The doc's token step and scrape job, pointed at the shared server."""
    token_file = tmp_path / 'sora-token'
    script = docblocks.block('scraper-token').replace(
        '/etc/sora/sora.conf', api.config_file).replace(
        '/etc/prometheus/sora-token', str(token_file))
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ['PATH'])
    subprocess.run(['bash', '-euo', 'pipefail', '-c', script], env=env,
                   check=True, timeout=60)
    config = yaml.safe_load(docblocks.block('scrape-config'))
    [job] = config['scrape_configs']
    assert job['authorization']['credentials_file'] == \
        '/etc/prometheus/sora-token'
    job['authorization']['credentials_file'] = str(token_file)
    job['static_configs'] = [{'targets': [api.url.split('//', 1)[1]]}]
    # Scrape at once rather than once a minute: the test waits for it.
    config['global'] = {'scrape_interval': '1s'}
    path = tmp_path / 'prometheus.yml'
    path.write_text(yaml.safe_dump(config))
    return path


def test_promtool_accepts_the_documented_scrape_config(scrape_config):
    result = subprocess.run(['promtool', 'check', 'config',
                             str(scrape_config)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'SUCCESS' in result.stdout + result.stderr


def _log(tmp_path):
    return (tmp_path / 'prometheus.log').read_text(errors='replace')


def test_prometheus_scrapes_a_server_with_the_scraper_token(
        scrape_config, tmp_path):
    port = _free_port()
    with open(tmp_path / 'prometheus.log', 'wb') as log:
        prometheus = subprocess.Popen(
            ['prometheus', '--config.file', str(scrape_config),
             '--storage.tsdb.path', str(tmp_path / 'data'),
             '--web.listen-address', '127.0.0.1:%d' % port],
            stdout=log, stderr=subprocess.STDOUT)
    try:
        base = 'http://127.0.0.1:%d' % port

        def ready():
            # NOTE: Prometheus answers 503 in plain text until its storage
            # is open; a process that exited (its port taken) fails here.
            assert prometheus.poll() is None, _log(tmp_path)
            try:
                return requests.get(base + '/-/ready',
                                    timeout=5).status_code == 200
            except requests.ConnectionError:
                return False

        def scraped():
            targets = requests.get(base + '/api/v1/targets', timeout=5)
            active = targets.json()['data']['activeTargets']
            return active and active[0]['health'] != 'unknown' and active[0]

        wait_for(ready, timeout=60)
        target = wait_for(scraped, timeout=60)
        assert target['health'] == 'up', target['lastError']
        result = requests.get(base + '/api/v1/query', timeout=5, params={
            'query': 'sora_http_requests_total'}).json()
        assert result['data']['result'], result
    finally:
        prometheus.terminate()
        prometheus.wait(30)
