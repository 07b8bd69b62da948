"""Start a real ``sora-api`` process on a loopback port and talk HTTP to it."""

import configparser
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import requests

from sora_api import conf as sora_conf
from sora_api.db import engine
from sora_api.db import migration
from sora_api.db import tokens

_SERVING = re.compile(r'Serving on http://([\d.]+):(\d+)')

# Identities every test server knows: name -> (user, project, roles).
IDENTITIES = {
    'admin': ('admin-user', 'admin-project', ['admin']),
    'member': ('alice', 'project-a', ['member']),
    'reader': ('rita', 'project-a', ['reader']),
    'other': ('bob', 'project-b', ['member']),
    'norole': ('nobody', 'project-a', []),
}


def command(name):
    """The installed console script next to this Python, else ``-m``."""
    script = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(script):
        return [script]
    module = {'sora-api': 'sora_api.cmd.api',
              'sora-manage': 'sora_api.cmd.manage'}[name]
    return [sys.executable, '-m', module]


class SoraServer:
    """A ``sora-api`` process with its own state directory and tokens.

    ``options`` maps ``group -> {option: value}`` written to its config
    file. ``url`` is the base URL; ``tokens`` the secret of each identity.
    """

    def __init__(self, workdir, options=None, api_command=None):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.config_file = os.path.join(self.workdir, 'sora.conf')
        self.log_file = os.path.join(self.workdir, 'sora-api.log')
        self.api_command = api_command or command('sora-api')
        self.options = {'DEFAULT': {'state_path': self.workdir},
                        'api': {'bind_port': '0'}}
        for group, values in (options or {}).items():
            self.options.setdefault(group, {}).update(
                {k: str(v) for k, v in values.items()})
        self._write_config()
        self.process = None
        self.url = None
        self.tokens = {}

    def _write_config(self):
        parser = configparser.ConfigParser(interpolation=None)
        for group, values in self.options.items():
            if group != 'DEFAULT':
                parser.add_section(group)
            for key, value in values.items():
                parser.set(group, key, value)
        with open(self.config_file, 'w') as f:
            parser.write(f)

    def config(self):
        """The server's configuration, parsed as the server parses it."""
        return sora_conf.new_config(['--config-file', self.config_file],
                                    default_config_files=[])

    def database(self):
        return engine.Database(self.config())

    def create_tokens(self):
        db = self.database()
        migration.upgrade(db.engine)
        for name, (user, project, roles) in IDENTITIES.items():
            _, self.tokens[name] = tokens.create(db, user, project, roles)
        db.engine.dispose()

    def start(self, timeout=30):
        if not self.tokens and self.options['api'].get(
                'auth_strategy', 'token') == 'token':
            self.create_tokens()
        self._log = open(self.log_file, 'ab')
        self.process = subprocess.Popen(
            self.api_command + ['--config-file', self.config_file,
                                '--log-file', self.log_file],
            stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('sora-api exited with %s:\n%s'
                                   % (self.process.returncode, self.log()))
            match = _SERVING.search(self.log())
            if match:
                self.url = 'http://%s:%s' % match.groups()
                if self._healthy():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('sora-api did not start:\n' + self.log())

    def _healthy(self):
        try:
            return requests.get(self.url + '/healthcheck',
                                timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    def log(self):
        if not os.path.exists(self.log_file):
            return ''
        with open(self.log_file, errors='replace') as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Signal the server and return its exit status."""
        if self.process is None or self.process.poll() is not None:
            return self.process and self.process.returncode
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()
        finally:
            self._log.close()

    def request(self, method, path, as_=None, token=None, **kwargs):
        """An HTTP request as identity ``as_`` (or with a raw ``token``)."""
        headers = dict(kwargs.pop('headers', None) or {})
        if as_ is not None:
            headers['X-Auth-Token'] = self.tokens[as_]
        elif token is not None:
            headers['X-Auth-Token'] = token
        kwargs.setdefault('timeout', 30)
        return requests.request(method, self.url + path, headers=headers,
                                **kwargs)

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def assert_error(response, status, code):
    """The contract's error shape, with the request id of the response."""
    assert response.status_code == status, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    body = response.json()
    assert list(body) == ['errors']
    [error] = body['errors']
    assert error['status'] == status
    assert error['code'] == code
    assert error['title']
    assert error['detail']
    assert error['request_id'] == response.headers['X-OpenStack-Request-Id']
    return error
