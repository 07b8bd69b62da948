"""Engine and transactions: ``Database.reader()`` and ``Database.writer()``.

Every unit of work is one short transaction. On SQLite a writer starts with
``BEGIN IMMEDIATE`` so two writers queue on the database lock instead of both
reading and then failing to upgrade; readers use WAL snapshots and never wait.
On a server database (PostgreSQL, MariaDB) each worker keeps a pool of
connections; one left idle for a while is checked with a ping before use,
so a restarted server is reconnected to without restarting Sora. A database
that cannot be reached, or a pool with no free connection in time, is
``DatabaseUnavailable`` (503), never a 500.

Storage faults (disk full, read-only database, I/O errors, a schema that is
not there) are 503 as well, and discard the worker's pooled connections, so
the service heals without a restart once the cause is fixed. An SQLite file
deleted or replaced under a running server is noticed before each unit of
work, never written into.
"""

import contextlib
import functools
import gc
import itertools
import os
import time

from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy import orm

from sora_api import exception
from sora_api.db import compiled
from sora_api.db import migration
from sora_api.db import models
from sora_api.db import sqlite_file

LOG = logging.getLogger(__name__)
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
        # The SQLite file Sora opens itself; None for any other database.
        self.sqlite_path = None
        self.is_postgresql = self.url.get_backend_name() == 'postgresql'
        self.is_mysql = self.url.get_backend_name() in ('mysql', 'mariadb')
        # Host changes read by transaction id (``hosts.by_xid``): a claim
        # without a group then goes as one message (``claims``).
        self.changes_by_xid = (self.is_postgresql and not
                               conf.database.legacy_host_change_counter)
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
        # Why the last write of this worker failed for its storage; None
        # once a write has succeeded since (see check()).
        self.storage_fault = None
        self._collect_garbage = False
        event.listen(self.engine, 'handle_error', self._on_error)

    def _sqlite_engine(self, conf):
        database = self.url.database
        # NOTE: SQLite's own busy handler sleeps inside the C library, which
        # would stall every green thread of the worker while another process
        # holds the write lock. So the driver never waits (timeout 0) and a
        # writer's BEGIN IMMEDIATE is retried here with time.sleep: green
        # under sora-api's eventlet, the waiting thread's own under a
        # threaded WSGI server (sora_api.wsgi), right for both.
        options = dict(connect_args={'timeout': 0,
                                     'check_same_thread': False},
                       pool_size=conf.database.max_pool_size,
                       max_overflow=conf.database.max_overflow,
                       pool_timeout=conf.database.pool_timeout)
        if database and database != ':memory:' and not database.startswith(
                'file:'):
            self.sqlite_path = os.path.abspath(database)
            sqlite_file.prepare(self.sqlite_path)
            options['creator'] = lambda: sqlite_file.connect(
                self.sqlite_path)
        engine = sa.create_engine(self.url, **options)
        if self.sqlite_path:
            self._watch_file(engine)

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
                compiled.driver_sql(conn, 'BEGIN')

        return engine

    def _watch_file(self, engine):
        """Refuse pooled connections to a file no longer at the path."""
        path = self.sqlite_path

        @event.listens_for(engine, 'connect')
        def _remember(dbapi_conn, record):
            record.info['sora_file'] = sqlite_file.identity(path)

        @event.listens_for(engine, 'checkout')
        def _check(dbapi_conn, record, proxy):
            now = sqlite_file.identity(path)
            if now is None or now != record.info.get('sora_file'):
                LOG.error('The database file %s was deleted or replaced '
                          'since it was opened; reconnecting.', path)
                # Every pooled connection to the old file goes; the pool
                # opens the file at the path, or fails if there is none.
                raise sa_exc.InvalidatePoolError()

    def _on_error(self, context):
        """Discard the pool on a storage fault, and remember the fault."""
        fault = _storage_fault(context.original_exception)
        if fault:
            LOG.error('Database storage fault: %s; discarding pooled '
                      'connections.', fault)
            self.storage_fault = fault
            context.is_disconnect = True
            context.invalidate_pool_on_disconnect = True
            # NOTE: invalidating only marks idle connections for a later
            # reconnect; SQLite shares one file handle (and WAL index) per
            # file among a process's connections, so a fresh connection
            # stays read-only while any old one is open. Close them now.
            # A closed connection keeps its files open until its last
            # statement is freed, and the failed one lives in this
            # error's traceback, a cycle: collect it before the next use.
            self.engine.pool.dispose()
            self._collect_garbage = True

    def _after_fault(self):
        if self._collect_garbage:
            self._collect_garbage = False
            gc.collect()

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
    def connection(self, writer=False, autocommit=False,
                   read_committed=False):
        """A Core connection in one transaction, committed at the end.

        The hot paths (token checks, host-cache refreshes, claims) use it:
        it skips the ORM session's bookkeeping, which costs more than the
        statements themselves. ``autocommit`` (PostgreSQL; ignored
        elsewhere): no transaction, each statement commits on its own,
        which spares the round trips of BEGIN and COMMIT around reads that
        need no shared snapshot. ``read_committed`` (MySQL; PostgreSQL's
        default already, ignored on SQLite): each statement reads what is
        committed when it starts.
        """
        self._after_fault()
        with _unavailable_as_503():
            with self.engine.connect() as conn:
                if writer and self.is_sqlite:
                    conn = conn.execution_options(sora_writer=True)
                if read_committed and self.is_mysql:
                    conn = conn.execution_options(
                        isolation_level='READ COMMITTED')
                with _autocommit(conn, autocommit and self.is_postgresql):
                    with conn.begin():
                        yield conn
        if writer:
            self.storage_fault = None

    @contextlib.contextmanager
    def _session(self, writer):
        self._after_fault()
        with _unavailable_as_503(), self._sessions() as session, \
                session.begin():
            if writer and self.is_sqlite:
                session.connection(execution_options={'sora_writer': True})
            yield session
        if writer:
            self.storage_fault = None

    def ping(self):
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql('SELECT 1')
            return True
        except (sa_exc.DBAPIError, sa_exc.TimeoutError):
            return False

    def check(self):
        """Why the database cannot serve now, or None when it can.

        The schema must be the one this code runs on, an SQLite file must
        be the one opened and writable with room to grow, a server database
        must take writes. After a storage fault, a write is tried, so the
        answer turns healthy once the cause is fixed.
        """
        fault, read_only = self.storage_fault, None
        try:
            with self.connection(writer=bool(fault)) as conn:
                problem = _schema_problem(conn)
                if problem is None and self.sqlite_path:
                    problem = sqlite_file.write_problem(self.sqlite_path)
                if problem is None and not self.is_sqlite:
                    problem = read_only = _read_only_problem(conn)
                if problem is None and fault:
                    conn.execute(_TOUCH)
        except exception.DatabaseUnavailable as e:
            return 'the database does not answer: %s' % _reason(e)
        except sa_exc.DBAPIError as e:
            return 'the database fails: %s' % _reason(e)
        if read_only:
            # A session keeps the read-only default it started with: no
            # pooled one may outlive the cause.
            self.engine.pool.dispose()
        if problem and (fault or read_only):
            # Not healed yet: the next check tries a write again.
            self.storage_fault = problem
        return problem

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


@contextlib.contextmanager
def _autocommit(conn, wanted):
    """psycopg2's own autocommit on ``conn`` for the block, if ``wanted``.

    NOTE: not SQLAlchemy's isolation_level AUTOCOMMIT: that one resets
    the level when the connection returns to the pool with one more
    statement (``SET default_transaction_isolation``), a round trip as
    dear as the BEGIN and COMMIT it spares. psycopg2 switches its flag
    without a word to the server, and then sends no BEGIN; SQLAlchemy's
    commit and the pool's rollback find no transaction and send nothing.
    """
    if not wanted:
        yield
        return
    dbapi_conn = conn.connection.dbapi_connection
    dbapi_conn.autocommit = True
    try:
        yield
    finally:
        if not dbapi_conn.closed:
            dbapi_conn.autocommit = False


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
            compiled.driver_sql(conn, 'BEGIN IMMEDIATE')
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
    except sa_exc.DBAPIError as e:
        # Mostly OperationalError; PostgreSQL's read-only transaction is
        # an InternalError.
        if _is_unavailable(e):
            raise exception.DatabaseUnavailable() from e
        raise
    except sa_exc.TimeoutError as e:
        # Every pooled connection stayed busy for [database]
        # pool_timeout: the database is overloaded, not the request bad.
        raise exception.DatabaseUnavailable() from e


# A write that changes nothing: the health check's probe after a fault.
_TOUCH = sa.text('UPDATE alembic_version SET version_num = version_num')


def _schema_problem(conn):
    """Why the schema is not the one this code needs, or None."""
    try:
        revision = conn.exec_driver_sql(
            'SELECT version_num FROM alembic_version').scalar()
        for table in models.Base.metadata.sorted_tables:
            conn.execute(sa.select(sa.literal(1)).select_from(table)
                         .limit(1))
    except sa_exc.DBAPIError as e:
        if _is_unavailable(e):
            raise  # a connection that broke says nothing of the schema
        return 'the schema is missing or incomplete: %s' % _reason(e)
    head, known = _revisions()
    if revision != head and revision in known:
        return ('the schema is at revision %s, this code needs %s: run '
                'sora-manage db sync' % (revision, head))
    return None


@functools.cache
def _revisions():
    """The head revision and every revision this code knows (read once)."""
    return migration.head_revision(), migration.known_revisions()


def _read_only_problem(conn):
    if conn.dialect.name != 'postgresql':
        return None
    if conn.exec_driver_sql('SHOW transaction_read_only').scalar() == 'on':
        return 'the database is read-only'
    return None


def _reason(error):
    cause = error.__cause__ or error
    return str(getattr(cause, 'orig', None) or cause).splitlines()[0][:200]


# Driver messages and SQLSTATEs of storage that cannot take writes or lost
# its schema (SQLite, psycopg2): disk_full, read_only_sql_transaction.
_STORAGE_MESSAGES = (
    'database or disk is full', 'readonly database',
    'disk i/o error', 'file is not a database', 'no such table',
    'database disk image is malformed', 'no space left on device')
_STORAGE_SQLSTATES = ('53100', '25006')


def _storage_fault(error):
    """A description of a storage fault behind ``error``, or None."""
    code = getattr(error, 'pgcode', None) or ''
    text = str(error).lower()
    if code in _STORAGE_SQLSTATES or any(m in text
                                         for m in _STORAGE_MESSAGES):
        return str(error).splitlines()[0][:200]
    return None


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
    """Connection-level and storage failures mean 503; anything else is a
    bug (500)."""
    if error.connection_invalidated or _storage_fault(error.orig):
        return True
    code = getattr(error.orig, 'pgcode', None) or ''
    if code.startswith('08') or code in _UNAVAILABLE_SQLSTATES:
        return True
    text = str(error.orig).lower()
    return any(s in text for s in _UNAVAILABLE_MESSAGES)
