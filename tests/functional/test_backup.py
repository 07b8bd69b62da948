"""docs/operations.md's backup and restore, run as printed, bring data back.

The SQLite procedure runs in the SQLite pass of ``scripts/test.sh``; the
PostgreSQL one in the PostgreSQL pass, on a cluster of its own that asks
for a password, so the backup must find it in ``~/.pgpass``.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests import docblocks
from tests import pg
from tests.functional import server as sora_server

BIN = os.path.dirname(sys.executable)
PASSWORD = 'backup-test-secret'


def _run(name, env=None, **replace):
    """Run the block with the site's paths replaced (longest first, once)."""
    pattern = '|'.join(re.escape(old) for old in
                       sorted(replace, key=len, reverse=True))
    script = re.sub(pattern, lambda m: replace[m.group(0)],
                    docblocks.block(name))
    environ = dict(os.environ, PATH=BIN + os.pathsep + os.environ['PATH'])
    environ.update(env or {})
    return subprocess.run(['bash', '-euo', 'pipefail', '-c', script],
                          env=environ, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def _fill(srv):
    """Two hosts and a schedule on one of them; what a restore must return."""
    for name in ('backed-up-1', 'backed-up-2'):
        assert srv.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'vcpus': 8, 'memory_mb': 8192,
            'disk_gb': 100}).status_code == 201
    placed = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 2, 'memory_mb': 1024}})
    assert placed.status_code == 201, placed.text
    return _state(srv)


def _change(srv):
    """What happens after the backup, and what the restore must undo."""
    [schedule] = srv.request('GET', '/v1/schedules',
                             as_='member').json()['schedules']
    assert srv.request('DELETE', '/v1/schedules/' + schedule['id'],
                       as_='member').status_code == 204
    assert srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'after-the-backup', 'vcpus': 1, 'memory_mb': 1,
        'disk_gb': 1}).status_code == 201


def _state(srv):
    hosts = srv.request('GET', '/v1/hosts', as_='admin').json()['hosts']
    schedules = srv.request('GET', '/v1/schedules',
                            as_='member').json()['schedules']
    return ({h['name']: {f: h[f] for f in sora_server.USAGE} for h in hosts},
            [(s['id'], [a['host_id'] for a in s['allocations']])
             for s in schedules])


def _backup_file(directory):
    [name] = os.listdir(directory)
    return os.path.join(directory, name)


def test_sqlite_backup_and_restore_bring_the_data_back(tmp_path):
    if sora_server.server_database_url():
        pytest.skip('the SQLite procedure runs in the SQLite pass')
    if not shutil.which('sqlite3'):
        pytest.skip('needs the sqlite3 command (apt-get install sqlite3)')
    state, backups = tmp_path / 'state', tmp_path / 'backups'
    paths = {'/var/lib/sora': str(state), '/backups': str(backups)}
    srv = sora_server.SoraServer(state)
    try:
        srv.start()
        before = _fill(srv)
        # Online: the server keeps serving while the backup is taken.
        result = _run('sqlite-backup', **paths)
        assert result.returncode == 0, result.stderr
        _change(srv)
        assert _state(srv) != before
        assert srv.stop() == 0
        backup = _backup_file(backups)
        result = _run('sqlite-restore', **paths, **{
            '/backups/sora-2026-11-22.sqlite': backup})
        assert result.returncode == 0, result.stderr
        srv.start()
        assert _state(srv) == before
        # Tokens are in the backup too: the same secrets still work.
        assert srv.request('GET', '/v1/hosts', as_='admin').status_code == 200
    finally:
        srv.cleanup()


@pytest.fixture
def cluster(tmp_path):
    """A cluster of the test's own where TCP logins need a password."""
    if not sora_server.postgresql_url():
        pytest.skip('needs PostgreSQL: scripts/test.sh --with-postgresql')
    own = pg.Cluster()
    try:
        own.start()
        conn = pg._admin_connection(own.admin_url)
        with conn.cursor() as cursor:
            cursor.execute("ALTER ROLE sora PASSWORD '%s'" % PASSWORD)
            cursor.execute('CREATE DATABASE sora')
        conn.close()
        with open(os.path.join(own.data, 'pg_hba.conf'), 'w') as f:
            f.write('local all all trust\n'
                    'host all all 127.0.0.1/32 scram-sha-256\n')
        own._run('pg_ctl', '-D', own.data, 'reload')
        yield own
    finally:
        own.destroy()


def test_postgresql_backup_and_restore_bring_the_data_back(cluster,
                                                           tmp_path):
    home, backups = tmp_path / 'home', tmp_path / 'backups'
    home.mkdir()
    env = {'PGHOST': '127.0.0.1', 'PGPORT': str(cluster.port),
           'PGUSER': 'sora', 'PGDATABASE': 'sora', 'HOME': str(home),
           'PATH': os.pathsep.join([BIN, cluster.bindir,
                                    os.environ['PATH']])}
    env.pop('PGPASSWORD', None)
    # Without the password the backup fails at once instead of prompting.
    result = _run('pg-backup', env=env, **{'/backups': str(backups)})
    assert result.returncode != 0
    assert 'password' in result.stderr
    pgpass = home / '.pgpass'
    pgpass.write_text('127.0.0.1:%d:*:sora:%s\n' % (cluster.port, PASSWORD))
    pgpass.chmod(0o600)
    srv = sora_server.SoraServer(
        tmp_path / 'state', database_url='postgresql+psycopg2://sora:%s@'
        '127.0.0.1:%d/sora' % (PASSWORD, cluster.port))
    try:
        srv.start()
        before = _fill(srv)
        result = _run('pg-backup', env=env, **{'/backups': str(backups)})
        assert result.returncode == 0, result.stderr
        _change(srv)
        restore = {'/backups/sora-2026-11-22.dump': _backup_file(backups),
                   '/etc/sora/sora.conf': srv.config_file}
        # The procedure says to stop the servers first: dropdb refuses.
        result = _run('pg-restore', env=env, **restore)
        assert result.returncode != 0
        assert 'being accessed by other users' in result.stderr
        assert srv.stop() == 0
        result = _run('pg-restore', env=env, **restore)
        assert result.returncode == 0, result.stderr
        assert 'Database at revision' in result.stdout
        srv.start()
        assert _state(srv) == before
        assert srv.request('GET', '/v1/hosts', as_='admin').status_code == 200
    finally:
        srv.cleanup()
