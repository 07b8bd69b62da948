"""Back up and restore a test server's database the way an operator would.

SQLite: the backup API copies the file's contents, and restoring copies the
backup's back over the live file's. PostgreSQL: ``pg_dump`` to a plain SQL
file; restoring drops the database (ending every session in it), creates it
again and runs the dump with ``psql``.
"""

import os
import sqlite3
import subprocess

import sqlalchemy as sa

from tests import pg


def backup(srv, directory):
    """Save ``srv``'s database now; return what ``restore`` takes."""
    url = sa.engine.make_url(srv.database_url or 'sqlite:///%s/sora.sqlite'
                             % srv.workdir)
    path = os.path.join(str(directory), 'backup')
    if url.get_backend_name() == 'sqlite':
        _sqlite_copy(url.database, path)
    else:
        _pg_client('pg_dump', url, '--file', path)
    return url, path


def restore(saved):
    """Put the saved contents back in place of the live database's."""
    url, path = saved
    if url.get_backend_name() == 'sqlite':
        _sqlite_copy(path, url.database)
        return
    rendered = url.render_as_string(hide_password=False)
    pg.drop_database(rendered)
    conn = pg._admin_connection(pg.database_url(rendered, 'postgres'))
    try:
        with conn.cursor() as cursor:
            cursor.execute('CREATE DATABASE "%s"' % url.database)
    finally:
        conn.close()
    _pg_client('psql', url, '--quiet', '-v', 'ON_ERROR_STOP=1', '--file',
               path)


def _sqlite_copy(source, target):
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _pg_client(program, url, *args):
    subprocess.run(
        [os.path.join(pg.bindir(), program), '--host', url.host, '--port',
         str(url.port), '--username', url.username, '--dbname',
         url.database, *args],
        check=True, capture_output=True, timeout=120)
