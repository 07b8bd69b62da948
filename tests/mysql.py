"""A throwaway MariaDB server in a temporary directory, for tests.

``Server`` runs ``mariadb-install-db`` into a fresh directory and
``mariadbd`` on 127.0.0.1 with a free port (its unix socket in the
directory too), durability traded for speed: nothing in it outlives the
tests. The user ``sora`` (no password) may do anything; ``admin_url`` is an
SQLAlchemy URL (PyMySQL) from which ``create_database`` makes a fresh
database per test server. MariaDB's default isolation level (REPEATABLE
READ) is kept: the claims are proven under it.

Under root (CI) the server runs as root (``--user=root``): unlike
PostgreSQL, MariaDB allows it when asked explicitly.

As a command it wraps another one (``scripts/test.sh`` uses it)::

    python -m tests.mysql run -- pytest tests/functional

starts a server, runs the command with ``SORA_TEST_DATABASE_URL`` set to
the admin URL, stops the server and exits with the command's status.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

from tests import dbserver

USER = 'sora'
_SETTINGS = (
    '--skip-name-resolve', '--skip-log-bin', '--innodb-doublewrite=0',
    '--innodb-flush-log-at-trx-commit=0', '--innodb-buffer-pool-size=128M',
    '--max-connections=400', '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_nopad_bin', '--log-warnings=0',
)


def _program(name):
    """``mariadbd`` / ``mariadb-install-db``: on PATH or in /usr/sbin."""
    found = shutil.which(name) or shutil.which(name, path='/usr/sbin')
    return found


def available():
    return bool(_program('mariadbd') and _program('mariadb-install-db'))


def _connect(url, **kwargs):
    import pymysql
    import sqlalchemy as sa
    url = sa.engine.make_url(url)
    return pymysql.connect(host=url.host, port=url.port, user=url.username,
                           password=url.password or '', autocommit=True,
                           connect_timeout=10, **kwargs)


def create_database(admin_url, prefix='sora'):
    """Create a fresh, empty database; return its URL."""
    # What docs/mariadb.md asks of an operator: names compare byte for
    # byte, trailing spaces included, as on SQLite and PostgreSQL.
    return dbserver.create_database(
        admin_url, _connect, 'CREATE DATABASE `%s` CHARACTER SET utf8mb4 '
        'COLLATE utf8mb4_nopad_bin', prefix)


def drop_database(url):
    """Drop the database of ``url``, ending any session still in it."""
    import sqlalchemy as sa
    name = sa.engine.make_url(url).database
    conn = _connect(url, database=None)
    try:
        with conn.cursor() as cursor:
            cursor.execute('SELECT id FROM information_schema.processlist '
                           'WHERE db = %s AND id <> CONNECTION_ID()', (name,))
            for (session,) in cursor.fetchall():
                try:
                    cursor.execute('KILL %d' % session)
                except Exception:
                    pass  # it ended meanwhile
            cursor.execute('DROP DATABASE IF EXISTS `%s`' % name)
    finally:
        conn.close()


class Server(dbserver.Throwaway):
    """One MariaDB server of its own: ``start``, ``stop``, ``destroy``."""

    def __init__(self, base=None):
        if not available():
            raise RuntimeError('MariaDB (mariadbd, mariadb-install-db) not '
                               'found; install the mariadb-server package')
        self.dir = tempfile.mkdtemp(prefix='sora-mariadb-',
                                    dir=dbserver.scratch(base))
        self.data = os.path.join(self.dir, 'data')
        self.socket = os.path.join(self.dir, 'mysql.sock')
        self.logfile = os.path.join(self.dir, 'mariadb.log')
        self.port = None
        self.process = None
        self._as_root = ['--user=root'] if os.geteuid() == 0 else []
        subprocess.run(
            [_program('mariadb-install-db'), '--no-defaults',
             '--datadir=' + self.data, '--auth-root-authentication-method='
             'normal', '--skip-test-db', '--skip-name-resolve',
             *self._as_root], cwd=self.dir, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, check=True, timeout=120)

    @property
    def admin_url(self):
        return 'mysql+pymysql://%s@127.0.0.1:%d/mysql?charset=utf8mb4' % (
            USER, self.port)

    def start(self, timeout=60):
        """Start, wait until it answers, and create the ``sora`` user."""
        for _ in range(3):
            self.port = dbserver.free_port()
            self.process = subprocess.Popen(
                [_program('mariadbd'), '--no-defaults',
                 '--datadir=' + self.data, '--socket=' + self.socket,
                 '--port=%d' % self.port, '--bind-address=127.0.0.1',
                 '--pid-file=' + os.path.join(self.dir, 'mariadb.pid'),
                 '--log-error=' + self.logfile, *_SETTINGS, *self._as_root],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, start_new_session=True)
            if self._wait_until_up(timeout):
                self._create_user()
                return self
            if 'already in use' not in self.log():
                break
        raise RuntimeError('mariadbd did not start:\n' + self.log())

    def _wait_until_up(self, timeout):
        import pymysql
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                pymysql.connect(unix_socket=self.socket, user='root').close()
                return True
            except pymysql.err.OperationalError:
                time.sleep(0.1)
        return False

    def _create_user(self):
        import pymysql
        conn = pymysql.connect(unix_socket=self.socket, user='root',
                               autocommit=True)
        try:
            with conn.cursor() as cursor:
                cursor.execute("CREATE USER IF NOT EXISTS '%s'@'%%'" % USER)
                cursor.execute("GRANT ALL ON *.* TO '%s'@'%%'" % USER)
        finally:
            conn.close()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def destroy(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _describe(server):
    return 'MariaDB on 127.0.0.1:%d in %s' % (server.port, server.dir)


if __name__ == '__main__':
    sys.exit(dbserver.run(sys.argv[1:], 'tests.mysql', Server, _describe))
