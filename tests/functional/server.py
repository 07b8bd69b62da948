"""Start a real ``sora-api`` process on a loopback port and talk HTTP to it.

With ``SORA_TEST_DATABASE_URL`` set (an SQLAlchemy URL of a PostgreSQL or
MariaDB maintenance database, see ``tests/pg.py`` and ``tests/mysql.py``)
every server gets a fresh database of its own there instead of an SQLite
file, so the same tests run on each and stay isolated from one another.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import requests
import sqlalchemy as sa

from sora_api import conf as sora_conf
from sora_api.db import engine
from sora_api.db import migration
from sora_api.db import tokens
from tests import databases

_SERVING = re.compile(r'Serving on http://([\d.]+):(\d+)')

# Identities every test server knows: name -> (user, project, roles).
IDENTITIES = {
    'admin': ('admin-user', 'admin-project', ['admin']),
    'member': ('alice', 'project-a', ['member']),
    'reader': ('rita', 'project-a', ['reader']),
    'other': ('bob', 'project-b', ['member']),
    'norole': ('nobody', 'project-a', []),
}


def server_database_url():
    """The server database's maintenance URL tests run against, or None
    (SQLite): PostgreSQL or MariaDB, see ``tests/databases.py``."""
    return databases.admin_url()


def postgresql_url():
    """The PostgreSQL maintenance URL tests run against, or None."""
    url = databases.admin_url()
    return url if url and databases.backend(url) == 'postgresql' else None


# A host's usage counters, as the hosts API shows them.
USAGE = ('vcpus_used', 'memory_mb_used', 'disk_gb_used', 'instances')


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
    ``database_url`` shares an existing database (several servers on one);
    without it and without ``[database] connection`` in ``options``, a run
    on PostgreSQL creates a fresh database, dropped again by ``cleanup``.
    """

    def __init__(self, workdir, options=None, api_command=None,
                 database_url=None):
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
        self.own_database = None
        if database_url:
            self.options.setdefault('database', {})['connection'] = (
                database_url)
        elif ('connection' not in self.options.get('database', {})
              and server_database_url()):
            self.own_database = databases.create_database(
                server_database_url())
            self.options.setdefault('database', {})['connection'] = (
                self.own_database)
        self.database_url = self.options.get('database', {}).get(
            'connection')
        sora_conf.write_config_file(self.config_file, self.options)
        self.process = None
        self.url = None
        self.tokens = {}

    def config(self):
        """The server's configuration, parsed as the server parses it."""
        return sora_conf.new_config(['--config-file', self.config_file],
                                    default_config_files=[])

    def database(self):
        return engine.Database(self.config())

    def row_counts(self, models):
        """The number of rows of each model's table, by table name."""
        db = self.database()
        try:
            with db.reader() as session:
                return {model.__tablename__: session.scalar(
                    sa.select(sa.func.count()).select_from(model))
                    for model in models}
        finally:
            db.engine.dispose()

    def prepare(self):
        """What comes before each start: on a server database what
        ``sora-manage db sync`` does for an operator; the first time, the
        tokens of ``IDENTITIES`` when the server takes tokens. One
        connection and one schema upgrade for both."""
        server_database = (self.database_url
                           and not self.database_url.startswith('sqlite'))
        wants_tokens = not self.tokens and self.options['api'].get(
            'auth_strategy', 'token') == 'token'
        if not (server_database or wants_tokens):
            return
        db = self.database()
        try:
            # On SQLite: the tables the tokens go in.
            migration.upgrade(db.engine)
            if wants_tokens:
                for name, (user, project, roles) in IDENTITIES.items():
                    _, self.tokens[name] = tokens.create(db, user, project,
                                                         roles)
        finally:
            db.engine.dispose()

    def start(self, timeout=30, healthy=True):
        """Start and wait until it serves (``healthy``: and its health
        check is 200)."""
        self.prepare()
        # A restarted server appends to its log: read only the new part.
        offset = len(self.log())
        self._log = open(self.log_file, 'ab')
        # A session of its own, so kill() can end the parent and its
        # workers at once, as a machine failure would.
        self.process = subprocess.Popen(
            self.api_command + ['--config-file', self.config_file,
                                '--log-file', self.log_file],
            stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('sora-api exited with %s:\n%s'
                                   % (self.process.returncode, self.log()))
            match = _SERVING.search(self.log()[offset:])
            if match:
                self.url = 'http://%s:%s' % match.groups()
                if not healthy or self._healthy():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('sora-api did not start:\n' + self.log())

    def _healthy(self):
        # NOTE: a server just started on a busy machine may take longer
        # than the timeout to answer its first request: asked again until
        # start's deadline, not failed.
        try:
            return requests.get(self.url + '/healthcheck',
                                timeout=2).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
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

    def kill(self):
        """SIGKILL the parent and every worker at once; wait for the parent.

        Workers that outlive the parent would keep serving, so the whole
        process group goes.
        """
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        status = self.process.wait(30)
        self._log.close()
        return status

    def worker_pids(self, count):
        """The pids of the ``count`` workers, once all have started."""
        return wait_for(lambda: len(children(self.process.pid)) == count
                        and children(self.process.pid))

    def usage(self, host_id):
        """The host's usage counters, read back through the API."""
        response = self.request('GET', '/v1/hosts/%s' % host_id, as_='admin')
        assert response.status_code == 200, response.text
        host = response.json()['host']
        return {field: host[field] for field in USAGE}

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
        if self.own_database:
            databases.drop_database(self.own_database)
        shutil.rmtree(self.workdir, ignore_errors=True)


def children(pid):
    """Pids of the live child processes of ``pid`` (its workers)."""
    with open('/proc/%d/task/%d/children' % (pid, pid)) as f:
        return {int(p) for p in f.read().split()}


def wait_for(predicate, timeout=20):
    """``predicate()``'s first true value, polled for at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError('condition not met within %s s' % timeout)


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
