"""What the throwaway database servers of the tests share (``tests/pg.py``
for PostgreSQL, ``tests/mysql.py`` for MariaDB): free ports, database
URLs, making a fresh database, the server's log, and ``run``, which wraps
a command with a server started for it.
"""

import os
import signal
import socket
import subprocess
import sys
import uuid

ENV_URL = 'SORA_TEST_DATABASE_URL'


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


# NOTE: every test server's schema is DDL, which writes and syncs files
# whatever the servers' flush settings: a MariaDB upgrade took 0.2 s on a
# disk and 0.1 s in memory, and its functional pass 350 s against 404-434.
# Nothing in a throwaway server's directory outlives the tests.
_MEMORY = '/dev/shm'


def scratch(base=None):
    """Where a throwaway server keeps its files: ``base``, else memory
    (``/dev/shm``) when there is some, else the temporary directory."""
    if base is None and os.access(_MEMORY, os.W_OK):
        return _MEMORY
    return base


def database_url(admin_url, name):
    """``admin_url`` pointing at database ``name`` instead."""
    import sqlalchemy as sa
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(
        hide_password=False)


def create_database(admin_url, connect, statement, prefix):
    """Create a fresh, empty database with ``statement`` (``%s``: its
    name) on a connection from ``connect(admin_url)``; return its URL."""
    name = '%s_%s' % (prefix, uuid.uuid4().hex[:16])
    conn = connect(admin_url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement % name)
    finally:
        conn.close()
    return database_url(admin_url, name)


class Throwaway:
    """A server in a temporary directory: ``start``, ``stop``, ``destroy``,
    ``admin_url`` and ``log()`` (what it wrote to ``logfile``)."""

    logfile = None

    def log(self):
        try:
            with open(self.logfile, errors='replace') as f:
                return f.read()
        except FileNotFoundError:
            return ''


def run(argv, module, make_server, describe):
    """``python -m MODULE run -- COMMAND [ARGS...]``: start a server made by
    ``make_server()``, run the command with ``SORA_TEST_DATABASE_URL`` set
    to its admin URL, stop the server, and return the command's status."""
    if len(argv) < 3 or argv[0] != 'run' or argv[1] != '--':
        print('usage: python -m %s run -- COMMAND [ARGS...]' % module,
              file=sys.stderr)
        return 2
    server = make_server()
    try:
        server.start()
        print(describe(server), flush=True)
        env = dict(os.environ, **{ENV_URL: server.admin_url})
        child = subprocess.Popen(argv[2:], env=env)
        try:
            return child.wait()
        except KeyboardInterrupt:
            child.send_signal(signal.SIGINT)
            return child.wait()
    finally:
        server.destroy()
