"""Engine and transactions: ``Database.reader()`` and ``Database.writer()``.

Every unit of work is one short transaction. On SQLite a writer starts with
``BEGIN IMMEDIATE`` so two writers queue on the database lock instead of both
reading and then failing to upgrade; readers use WAL snapshots and never wait.
"""

import contextlib
import os

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
        if self.is_sqlite:
            self.engine = self._sqlite_engine(conf)
        else:
            self.engine = sa.create_engine(
                self.url,
                pool_size=conf.database.max_pool_size,
                max_overflow=conf.database.max_overflow,
                pool_timeout=conf.database.pool_timeout,
                pool_recycle=conf.database.connection_recycle_time,
                pool_pre_ping=True)
        self._sessions = orm.sessionmaker(
            bind=self.engine, expire_on_commit=False)

    def _sqlite_engine(self, conf):
        database = self.url.database
        if database and database != ':memory:':
            os.makedirs(os.path.dirname(os.path.abspath(database)),
                        exist_ok=True)
        engine = sa.create_engine(
            self.url,
            connect_args={'timeout': conf.database.sqlite_busy_timeout,
                          'check_same_thread': False},
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

        @event.listens_for(engine, 'begin')
        def _on_begin(conn):
            if conn.get_execution_options().get('sora_writer'):
                conn.exec_driver_sql('BEGIN IMMEDIATE')
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
    def _session(self, writer):
        try:
            with self._sessions() as session, session.begin():
                if writer and self.is_sqlite:
                    session.connection(
                        execution_options={'sora_writer': True})
                yield session
        except (sa_exc.OperationalError, sa_exc.InterfaceError) as e:
            if _is_unavailable(e):
                raise exception.DatabaseUnavailable() from e
            raise

    def ping(self):
        """True when the database answers a trivial query."""
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql('SELECT 1')
            return True
        except sa_exc.DBAPIError:
            return False

    def after_fork(self):
        """Drop connections inherited from the parent process."""
        self.engine.dispose(close=False)


def _is_unavailable(error):
    """Connection-level failures mean 503; anything else is a bug (500)."""
    if error.connection_invalidated:
        return True
    text = str(error.orig).lower()
    return any(s in text for s in (
        'could not connect', 'connection refused', 'server closed',
        'terminating connection', 'database is locked', 'unable to open',
        'connection reset', 'lost connection', 'gone away'))
