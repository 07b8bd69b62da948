"""A throwaway PostgreSQL cluster in a temporary directory, for tests.

``Cluster`` runs ``initdb`` into a fresh directory and ``pg_ctl`` on
127.0.0.1 with a free port (its unix socket stays in the directory too),
trust authentication and no fsync: nothing in it outlives the tests. The
superuser is ``sora``; ``admin_url`` is an SQLAlchemy URL of the
``postgres`` maintenance database, from which ``create_database`` makes a
fresh database per test server.

PostgreSQL refuses to run as root, so under root (CI) the server runs as
``$SORA_TEST_PG_USER``, else ``postgres``, else ``nobody``.

As a command it wraps another one (``scripts/test.sh`` uses it)::

    python -m tests.pg run -- pytest tests/functional

starts a cluster, runs the command with ``SORA_TEST_DATABASE_URL`` set to
the admin URL, stops the cluster and exits with the command's status.
"""

import glob
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

from tests import dbserver

SUPERUSER = 'sora'
_SETTINGS = """
listen_addresses = '127.0.0.1'
port = %(port)d
unix_socket_directories = '%(sockets)s'
max_connections = 400
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
"""


def bindir():
    """The directory of ``initdb`` and ``pg_ctl``, or None if absent.

    Debian keeps them in /usr/lib/postgresql/<version>/bin, off PATH.
    """
    found = shutil.which('initdb')
    if found and shutil.which('pg_ctl'):
        return os.path.dirname(os.path.realpath(found))
    candidates = glob.glob('/usr/lib/postgresql/*/bin/initdb')
    candidates.sort(key=lambda p: int(p.split('/')[-3].split('.')[0]))
    return os.path.dirname(candidates[-1]) if candidates else None


def _run_as():
    """``(uid, gid)`` to run PostgreSQL as, or None for the current user."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get('SORA_TEST_PG_USER'), 'postgres', 'nobody'):
        if not name:
            continue
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return entry.pw_uid, entry.pw_gid
    raise RuntimeError('running as root and no unprivileged user to run '
                       'PostgreSQL as; set SORA_TEST_PG_USER')


def _admin_connection(admin_url):
    import sqlalchemy as sa
    url = sa.engine.make_url(admin_url)
    import psycopg2
    conn = psycopg2.connect(
        host=url.host, port=url.port, user=url.username,
        password=url.password, dbname=url.database, connect_timeout=10)
    conn.autocommit = True
    return conn


def create_database(admin_url, prefix='sora'):
    """Create a fresh, empty database; return its URL."""
    return dbserver.create_database(admin_url, _admin_connection,
                                    'CREATE DATABASE "%s"', prefix)


def drop_database(url):
    """Drop the database of ``url``, ending any session still in it."""
    import sqlalchemy as sa
    parsed = sa.engine.make_url(url)
    conn = _admin_connection(dbserver.database_url(url, 'postgres'))
    try:
        with conn.cursor() as cursor:
            cursor.execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)'
                           % parsed.database)
    finally:
        conn.close()


class Cluster(dbserver.Throwaway):
    """One ``initdb``-made cluster; ``start``, ``stop``, ``destroy``."""

    def __init__(self, base=None):
        self.bindir = bindir()
        if self.bindir is None:
            raise RuntimeError('PostgreSQL binaries (initdb, pg_ctl) not '
                               'found; install the postgresql package')
        self.owner = _run_as()
        self.dir = tempfile.mkdtemp(prefix='sora-pg-',
                                    dir=dbserver.scratch(base))
        self.data = os.path.join(self.dir, 'data')
        self.sockets = os.path.join(self.dir, 'run')
        self.logfile = os.path.join(self.dir, 'postgres.log')
        os.mkdir(self.sockets)
        if self.owner:
            for path in (self.dir, self.sockets):
                os.chown(path, *self.owner)
        self.port = None
        self._run('initdb', '-D', self.data, '-U', SUPERUSER, '-A', 'trust',
                  '-E', 'UTF8', '--locale=C', '--no-sync')
        self._configure(dbserver.free_port())

    @property
    def admin_url(self):
        return 'postgresql+psycopg2://%s@127.0.0.1:%d/postgres' % (
            SUPERUSER, self.port)

    def _configure(self, port):
        self.port = port
        with open(os.path.join(self.data, 'postgresql.auto.conf'), 'a') as f:
            f.write(_SETTINGS % {'port': port, 'sockets': self.sockets})

    def _run(self, program, *args, check=True):
        kwargs = {}
        if self.owner:
            kwargs = {'user': self.owner[0], 'group': self.owner[1],
                      'extra_groups': []}
        return subprocess.run(
            [os.path.join(self.bindir, program), *args], cwd=self.dir,
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            check=check, timeout=120, **kwargs)

    def start(self):
        """Start the server and wait until it takes connections."""
        for _ in range(3):
            result = self._run('pg_ctl', '-D', self.data, '-l', self.logfile,
                               '-w', '-t', '60', 'start', check=False)
            if result.returncode == 0:
                return self
            if 'already in use' not in self.log():
                break
            # Another process took the port in the meantime: take another.
            self._configure(dbserver.free_port())
        raise RuntimeError('pg_ctl start failed:\n%s%s\n%s' % (
            result.stdout, result.stderr, self.log()))

    def stop(self, mode='fast'):
        """Stop the server (``fast`` ends sessions and rolls them back)."""
        self._run('pg_ctl', '-D', self.data, '-m', mode, '-w', '-t', '60',
                  'stop', check=False)

    def running(self):
        return self._run('pg_ctl', '-D', self.data, 'status',
                         check=False).returncode == 0

    def destroy(self):
        if os.path.exists(os.path.join(self.data, 'postmaster.pid')):
            self.stop(mode='immediate')
        shutil.rmtree(self.dir, ignore_errors=True)


def _describe(cluster):
    return 'PostgreSQL %s on 127.0.0.1:%d in %s' % (
        os.path.basename(os.path.dirname(cluster.bindir)), cluster.port,
        cluster.dir)


if __name__ == '__main__':
    sys.exit(dbserver.run(sys.argv[1:], 'tests.pg', Cluster, _describe))
