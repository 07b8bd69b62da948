"""Sora on PostgreSQL: migrations, pooling options, and a hub that stays free.

The tests that need a server run when ``SORA_TEST_DATABASE_URL`` names one
(``scripts/test.sh`` starts a throwaway cluster, see ``tests/pg.py``); the
rest of the functional suite runs on it too, through ``server.py``.
"""

import contextlib
import socket
import subprocess
import sys
import threading

import psycopg2
import pytest
import sqlalchemy as sa

from sora_api import exception
from sora_api.db import engine
from sora_api.db import migration
from tests import pg
from tests.functional import server as sora_server

requires_postgresql = pytest.mark.skipif(
    not sora_server.postgresql_url(),
    reason='needs PostgreSQL: scripts/test.sh --with-postgresql, or set '
           'SORA_TEST_DATABASE_URL')
WAIT = 200  # polls of 0.05 s for a state another process reaches


@pytest.fixture
def database_url():
    """A fresh, empty PostgreSQL database, dropped after the test."""
    url = pg.create_database(sora_server.postgresql_url())
    yield url
    pg.drop_database(url)


def _database(conf, url, **options):
    conf.set_override('connection', url, group='database')
    for name, value in options.items():
        conf.set_override(name, value, group='database')
    return engine.Database(conf)


def _closed_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_a_refused_connection_is_database_unavailable_not_a_bug(conf):
    db = _database(conf, 'postgresql+psycopg2://sora@127.0.0.1:%d/sora'
                   % _closed_port())
    with pytest.raises(exception.DatabaseUnavailable):
        with db.reader() as session:
            session.execute(sa.text('SELECT 1'))
    assert db.ping() is False


@requires_postgresql
def test_migrations_build_exactly_the_models_on_an_empty_database(
        conf, database_url):
    db = _database(conf, database_url)
    migration.upgrade(db.engine)
    assert migration.current_revision(db.engine) == migration.head_revision()
    assert migration.differences(db.engine) == []
    # A second upgrade is a no-op.
    migration.upgrade(db.engine)
    assert migration.current_revision(db.engine) == migration.head_revision()
    db.engine.dispose()


@requires_postgresql
def test_sora_manage_db_sync_creates_the_schema(tmp_path, database_url):
    config = tmp_path / 'sora.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\n[database]\n'
                      'connection = %s\n' % (tmp_path, database_url))
    result = subprocess.run(
        sora_server.command('sora-manage') + [
            '--config-file', str(config), 'db', 'sync'],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'revision %s' % migration.head_revision() in result.stdout
    checked = sa.create_engine(database_url)
    assert 'allocations' in sa.inspect(checked).get_table_names()
    checked.dispose()


@requires_postgresql
def test_the_pool_holds_max_pool_size_plus_max_overflow_connections(
        conf, database_url):
    db = _database(conf, database_url, max_pool_size=2, max_overflow=1,
                   pool_timeout=1)
    held = [db.engine.connect() for _ in range(3)]
    try:
        pids = {c.exec_driver_sql('SELECT pg_backend_pid()').scalar()
                for c in held}
        assert len(pids) == 3
        # The fourth waits pool_timeout for a free one, then gives up: 503.
        with pytest.raises(exception.DatabaseUnavailable):
            with db.reader() as session:
                session.execute(sa.text('SELECT 1'))
        assert db.ping() is False
    finally:
        for conn in held:
            conn.close()
    assert db.ping() is True
    # Back in the pool are max_pool_size of them; the overflow one closed.
    assert db.engine.pool.checkedin() == 2
    db.engine.dispose()


@requires_postgresql
def test_a_connection_older_than_the_recycle_time_is_replaced(
        conf, database_url):
    db = _database(conf, database_url, max_pool_size=1, max_overflow=0,
                   connection_recycle_time=1)

    def backend():
        with db.engine.connect() as conn:
            return conn.exec_driver_sql('SELECT pg_backend_pid()').scalar()

    first = backend()
    assert backend() == first  # pooled: the same server process
    # Sleep past the recycle time; the check is what happens after it.
    threading.Event().wait(1.5)
    assert backend() != first
    db.engine.dispose()


class RowLock:
    """Another client holding ``SELECT ... FOR UPDATE`` on one host row."""

    def __init__(self, database_url, host_id):
        url = sa.engine.make_url(database_url)
        self.conn = psycopg2.connect(host=url.host, port=url.port,
                                     user=url.username, dbname=url.database)
        self.database = url.database
        with self.conn.cursor() as cursor:
            cursor.execute('SELECT id FROM hosts WHERE id = %s FOR UPDATE',
                           (host_id,))

    def waiters(self):
        """Sessions of the database waiting for a lock right now."""
        with self.conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                "AND wait_event_type = 'Lock'", (self.database,))
            return cursor.fetchone()[0]

    def wait_for_waiter(self):
        for _ in range(WAIT):
            if self.waiters():
                return
            threading.Event().wait(0.05)
        raise AssertionError('no request ever waited on the lock')

    def release(self):
        self.conn.rollback()
        self.conn.close()


@contextlib.contextmanager
def _a_put_waiting_on_a_row_lock(srv):
    """A new host's ``PUT`` of 8 vCPUs, waiting on a lock another client
    holds on its row while the block runs; yields ``(host, thread, lock)``.

    After the block the lock goes and the ``PUT`` must succeed.
    """
    host = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'locked', 'vcpus': 4, 'memory_mb': 4096,
        'disk_gb': 10}).json()['host']
    lock = RowLock(srv.database_url, host['id'])
    result = {}

    def put():
        result['response'] = srv.request(
            'PUT', '/v1/hosts/%s' % host['id'], as_='admin',
            json={'vcpus': 8}, timeout=60)

    try:
        thread = threading.Thread(target=put)
        thread.start()
        lock.wait_for_waiter()
        yield host, thread, lock
    finally:
        lock.release()
    thread.join(60)
    assert result['response'].status_code == 200, result['response'].text
    assert result['response'].json()['host']['vcpus'] == 8


@requires_postgresql
def test_one_request_waiting_on_the_database_does_not_stall_the_worker(
        start_server):
    # One worker: every request below is a green thread of one process.
    # psycopg2 blocks in C unless psycogreen hands its waits to the hub.
    srv = start_server({'api': {'workers': 1}})
    with _a_put_waiting_on_a_row_lock(srv) as (host, thread, lock):
        for path, who in (('/', None), ('/healthcheck', None),
                          ('/v1/schedules', 'member'),
                          ('/v1/hosts/%s' % host['id'], 'admin')):
            response = srv.request('GET', path, as_=who, timeout=20)
            assert response.status_code == 200, (path, response.text)
        # Those were answered while the PUT still waited on the lock.
        assert thread.is_alive()
        assert lock.waiters() == 1


@requires_postgresql
def test_an_exhausted_pool_answers_503_and_recovers(start_server):
    srv = start_server({'api': {'workers': 1},
                        'database': {'max_pool_size': 1, 'max_overflow': 0,
                                     'pool_timeout': 1}})
    # The PUT takes the pool's only connection and waits on the lock.
    with _a_put_waiting_on_a_row_lock(srv) as (_, thread, _):
        response = srv.request('GET', '/v1/schedules', as_='member',
                               timeout=20)
        sora_server.assert_error(response, 503, 'sora.service_unavailable')
        response = srv.request('GET', '/healthcheck', timeout=20)
        sora_server.assert_error(response, 503, 'sora.service_unavailable')
        assert thread.is_alive()
    assert srv.request('GET', '/healthcheck').status_code == 200
    assert srv.request('GET', '/v1/schedules',
                       as_='member').status_code == 200


def test_the_server_processes_wait_on_psycopg2_through_the_hub():
    # What every sora-api and sora-manage process imports first.
    probe = ('import sora_api.cmd, psycopg2.extensions as e; '
             'print(e.get_wait_callback().__module__)')
    result = subprocess.run([sys.executable, '-c', probe],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'psycogreen.eventlet'
