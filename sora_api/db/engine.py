"""Engine and transactions: ``Database.reader()`` and ``Database.writer()``.

Every unit of work is one short transaction. On SQLite a writer starts with
``BEGIN IMMEDIATE`` so two writers queue on the database lock instead of both
reading and then failing to upgrade; readers use WAL snapshots and never wait.
On a server database (PostgreSQL, MariaDB) each worker keeps a pool of
connections; one left idle for a while is checked with a ping before use,
so a restarted server is reconnected to without restarting Sora. A database
that cannot be reached, or a pool with no free connection in time, is
``DatabaseUnavailable`` (503), never a 500.
"""

import contextlib
import functools
import itertools
import os
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from sora_api import exception

SQLITE_FILE = 'sora.sqlite'


def connection_url(conf):
    """The configured URL, or the default SQLite file under state_path."""
    if conf.database.connection:
        return conf.database.connection
    return 'sqlite:///' + os.path.join(conf.state_path, SQLITE_FILE)


def is_default_sqlite(conf):
    return not conf.database.connection


class Database:
    """One engine per process and the session factories built on it."""

    def __init__(self, conf):
        self.url = sa.engine.make_url(connection_url(conf))
        self.is_sqlite = self.url.get_backend_name() == 'sqlite'
        self.is_postgresql = self.url.get_backend_name() == 'postgresql'
        if self.is_sqlite:
            self.engine = self._sqlite_engine(conf)
        else:
            self.engine = sa.create_engine(
                self.url,
                pool_size=conf.database.max_pool_size,
                max_overflow=conf.database.max_overflow,
                pool_timeout=conf.database.pool_timeout,
                pool_recycle=conf.database.connection_recycle_time,
                execution_options={'sora_legacy_counter':
                                   conf.database.legacy_host_change_counter})
            _ping_when_idle(self.engine)
        self._sessions = orm.sessionmaker(
            bind=self.engine, expire_on_commit=False)

    def _sqlite_engine(self, conf):
        database = self.url.database
        if database and database != ':memory:':
            os.makedirs(os.path.dirname(os.path.abspath(database)),
                        exist_ok=True)
        # NOTE: SQLite's own busy handler sleeps inside the C library, which
        # would stall every green thread of the worker while another process
        # holds the write lock. So the driver never waits (timeout 0) and a
        # writer's BEGIN IMMEDIATE is retried here with time.sleep: green
        # under sora-api's eventlet, the waiting thread's own under a
        # threaded WSGI server (sora_api.wsgi), right for both.
        engine = sa.create_engine(
            self.url,
            connect_args={'timeout': 0, 'check_same_thread': False},
            pool_size=conf.database.max_pool_size,
            max_overflow=conf.database.max_overflow,
            pool_timeout=conf.database.pool_timeout)

        @event.listens_for(engine, 'connect')
        def _on_connect(dbapi_conn, record):
            # Let SQLAlchemy, not the driver, decide where transactions begin.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute('PRAGMA journal_mode=WAL')
            cursor.execute('PRAGMA synchronous=NORMAL')
            cursor.execute('PRAGMA foreign_keys=ON')
            cursor.close()

        busy_timeout = conf.database.sqlite_busy_timeout

        @event.listens_for(engine, 'begin')
        def _on_begin(conn):
            if conn.get_execution_options().get('sora_writer'):
                _begin_immediate(conn, busy_timeout)
            else:
                conn.exec_driver_sql('BEGIN')

        return engine

    @contextlib.contextmanager
    def reader(self):
        """A session for reads; its transaction ends when the block ends."""
        with self._session(writer=False) as session:
            yield session

    @contextlib.contextmanager
    def writer(self):
        """A session whose transaction commits at the end of the block."""
        with self._session(writer=True) as session:
            yield session

    @contextlib.contextmanager
    def connection(self, writer=False):
        """A Core connection in one transaction, committed at the end.

        The hot paths (token checks, host-cache refreshes, claims) use it:
        it skips the ORM session's bookkeeping, which costs more than the
        statements themselves.
        """
        with _unavailable_as_503():
            with self.engine.connect() as conn:
                if writer and self.is_sqlite:
                    conn = conn.execution_options(sora_writer=True)
                with conn.begin():
                    yield conn

    @contextlib.contextmanager
    def _session(self, writer):
        with _unavailable_as_503(), self._sessions() as session, \
                session.begin():
            if writer and self.is_sqlite:
                session.connection(execution_options={'sora_writer': True})
            yield session

    def ping(self):
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql('SELECT 1')
            return True
        except (sa_exc.DBAPIError, sa_exc.TimeoutError):
            return False

    def after_fork(self):
        """Drop connections inherited from the parent process."""
        self.engine.dispose(close=False)


# NOTE: a ping on every checkout (pool_pre_ping) is one more round trip
# for each of the several units of work of every request. A connection in
# use moments ago is as good as a ping; only one idle longer than this is
# checked. A failure on a connection that was not checked invalidates the
# whole pool (SQLAlchemy), so a restarted database costs at most one 503
# per worker.
_IDLE_BEFORE_PING = 5.0


def _ping_when_idle(engine):
    @event.listens_for(engine.pool, 'checkin')
    def _checked_in(dbapi_conn, record):
        if record is not None:
            record.info['sora_idle_since'] = time.monotonic()

    @event.listens_for(engine.pool, 'checkout')
    def _checked_out(dbapi_conn, record, proxy):
        idle_since = record.info.get('sora_idle_since')
        if idle_since is None or (time.monotonic() - idle_since
                                  < _IDLE_BEFORE_PING):
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as e:
            # The pool replaces the connection and tries again.
            raise sa_exc.DisconnectionError() from e


# Waits between tries for SQLite's write lock: short, since write
# transactions here last well under a millisecond.
_LOCK_WAITS = (0.0005, 0.001, 0.002, 0.005)


def _begin_immediate(conn, busy_timeout):
    """Take SQLite's write lock, waiting up to ``busy_timeout`` seconds.

    ``time.sleep`` lets other green threads (sora-api) or other threads
    (a threaded WSGI server) run while this one waits.
    """
    deadline = time.monotonic() + busy_timeout
    for attempt in itertools.count():
        try:
            conn.exec_driver_sql('BEGIN IMMEDIATE')
            return
        except sa_exc.OperationalError as e:
            if ('locked' not in str(e.orig).lower()
                    or time.monotonic() >= deadline):
                raise
        time.sleep(_LOCK_WAITS[min(attempt, len(_LOCK_WAITS) - 1)])


@contextlib.contextmanager
def _unavailable_as_503():
    """Turn a database that cannot be reached into ``DatabaseUnavailable``."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.InterfaceError) as e:
        if _is_unavailable(e):
            raise exception.DatabaseUnavailable() from e
        raise
    except sa_exc.TimeoutError as e:
        # Every pooled connection stayed busy for [database]
        # pool_timeout: the database is overloaded, not the request bad.
        raise exception.DatabaseUnavailable() from e


# SQLSTATEs of a server going away or not taking connections: class 08
# (connection exception), admin_shutdown, crash_shutdown, cannot_connect_now
# (starting up or shutting down), too_many_connections.
_UNAVAILABLE_SQLSTATES = ('57P01', '57P02', '57P03', '53300')

# Driver messages of a connection that failed or broke (SQLite, psycopg2,
# MySQL drivers).
_UNAVAILABLE_MESSAGES = (
    'could not connect', 'connection refused', 'server closed',
    'terminating connection', 'database is locked', 'unable to open',
    'connection reset', 'lost connection', 'gone away',
    'connection to server', 'no connection to the server',
    'connection already closed', 'the database system is',
    'could not receive data', 'could not send data', 'ssl connection has',
    'timeout expired', 'too many clients', 'connection timed out')


# A transaction the database chose to end so that another could go on:
# MySQL/MariaDB's deadlock (1213; under REPEATABLE READ, gap locks make
# them common between claims and releases), PostgreSQL's deadlock and
# serialisation failure. Running the transaction again is the answer.
_DEADLOCK_MYSQL_ERRORS = (1213,)
_DEADLOCK_SQLSTATES = ('40P01', '40001')
_DEADLOCK_RETRIES = 5


def is_deadlock(error):
    """True when ``error`` (a DBAPIError) says: run the transaction again."""
    orig = getattr(error, 'orig', None)
    if getattr(orig, 'pgcode', None) in _DEADLOCK_SQLSTATES:
        return True
    args = getattr(orig, 'args', ())
    return bool(args) and args[0] in _DEADLOCK_MYSQL_ERRORS


def retry_on_deadlock(fn):
    """Run ``fn`` (one whole transaction) again when it was a deadlock's
    victim, a few times, as oslo.db's ``wrap_db_retry`` does."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(_DEADLOCK_RETRIES):
            try:
                return fn(*args, **kwargs)
            except sa_exc.DBAPIError as e:
                if not is_deadlock(e) or attempt + 1 == _DEADLOCK_RETRIES:
                    raise
    return wrapper


def _is_unavailable(error):
    """Connection-level failures mean 503; anything else is a bug (500)."""
    if error.connection_invalidated:
        return True
    code = getattr(error.orig, 'pgcode', None) or ''
    if code.startswith('08') or code in _UNAVAILABLE_SQLSTATES:
        return True
    text = str(error.orig).lower()
    return any(s in text for s in _UNAVAILABLE_MESSAGES)
