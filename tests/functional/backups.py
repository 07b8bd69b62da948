"""Back up and restore a test server's database the way an operator would.

SQLite: the backup API copies the file's contents, and restoring copies the
backup's back over the live file's. PostgreSQL: ``pg_dump`` to a plain SQL
file; restoring drops the database (ending every session in it), creates it
again and runs the dump with ``psql``. MariaDB: the same with
``mariadb-dump`` and ``mariadb``.
"""

import os
import sqlite3
import subprocess

import sqlalchemy as sa

from tests import databases
from tests import pg


def backup(srv, directory):
    """Save ``srv``'s database now; return what ``restore`` takes."""
    url = sa.engine.make_url(srv.database_url or 'sqlite:///%s/sora.sqlite'
                             % srv.workdir)
    path = os.path.join(str(directory), 'backup')
    if url.get_backend_name() == 'sqlite':
        _sqlite_copy(url.database, path)
    elif url.get_backend_name() == 'mysql':
        with open(path, 'wb') as f:
            _mysql_client('mariadb-dump', url, '--single-transaction',
                          url.database, stdout=f)
    else:
        _pg_client('pg_dump', url, '--file', path)
    return url, path


def restore(saved):
    """Put the saved contents back in place of the live database's."""
    url, path = saved
    if url.get_backend_name() == 'sqlite':
        _sqlite_copy(path, url.database)
        return
    databases.drop_database(url.render_as_string(hide_password=False))
    if url.get_backend_name() == 'mysql':
        _mysql_client('mariadb', url, '-e', 'CREATE DATABASE `%s`'
                      % url.database)
        with open(path, 'rb') as f:
            _mysql_client('mariadb', url, url.database, stdin=f)
        return
    _pg_client('psql', url.set(database='postgres'), '--quiet', '-c',
               'CREATE DATABASE "%s"' % url.database)
    _pg_client('psql', url, '--quiet', '-v', 'ON_ERROR_STOP=1', '--file',
               path)


def _sqlite_copy(source, target):
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _mysql_client(program, url, *args, **streams):
    subprocess.run(
        [program, '--host', url.host, '--port', str(url.port), '--user',
         url.username, '--protocol=tcp', *args],
        check=True, timeout=120, **streams)


def _pg_client(program, url, *args):
    subprocess.run(
        [os.path.join(pg.bindir(), program), '--host', url.host, '--port',
         str(url.port), '--username', url.username, '--dbname',
         url.database, *args],
        check=True, capture_output=True, timeout=120)
