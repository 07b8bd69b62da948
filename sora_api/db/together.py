"""A whole transaction in one message to PostgreSQL.

psycopg2 fills the parameters in on the client, so statements joined with
``;`` travel, are parsed and run as one message. A claim on PostgreSQL
sends its transaction this way, ``BEGIN`` to ``COMMIT``: one round trip
where there were four, and the rows it locks stay locked only while
PostgreSQL runs the message, never across a trip to the worker and back.

What must hold for the claim to stand (a host still has room, a project
is within its limits) is a ``required`` part: its conditional ``UPDATE``
must change as many rows as expected, or ``sora_require`` (a function of
migration 0012) raises, PostgreSQL runs nothing more of the message, and
``transaction`` rolls back and raises ``Refused`` with the part's reason.
Those ``UPDATE``s cost PostgreSQL more to plan than to run, so each is a
prepared statement, planned once per connection (``Prepared``).
"""

import functools
import hashlib
import re

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import psycopg2 as pg_dialect

_DIALECT = pg_dialect.dialect()
_PARAMETER = re.compile(r'%\((\w+)\)s')
# libpq's PQtransactionStatus: idle, or inside a transaction (open or
# failed); anything else (a query still running) cannot take a ROLLBACK.
_IDLE = 0
_IN_TRANSACTION = (2, 3)


class Refused(Exception):
    """A ``required`` part did not hold; ``reason`` is the part's."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def insert(table, rows, prefix):
    """A part: one ``INSERT`` of ``rows`` (dicts with the same keys) into
    ``table``, its parameters named ``<prefix><i>_<column>``."""
    columns = tuple(rows[0])
    params = {'%s%d_%s' % (prefix, i, c): row[c]
              for i, row in enumerate(rows) for c in columns}
    return _insert_sql(table.name, columns, len(rows), prefix), params, None


@functools.cache
def _insert_sql(table, columns, count, prefix):
    values = ', '.join(
        '(%s)' % ', '.join('%%(%s%d_%s)s' % (prefix, i, c) for c in columns)
        for i in range(count))
    return 'INSERT INTO %s (%s) VALUES %s' % (table, ', '.join(columns),
                                              values)


def required(statement, params, prefix, reason, expected='1'):
    """A part: the ``UPDATE`` ``statement`` (a
    SQLAlchemy statement built once) with ``params``, which must change
    ``expected`` rows (SQL, which may use the statement's parameters),
    else the transaction is ``Refused`` with ``reason``.

    It is a prepared statement (``Prepared``), planned once per
    connection; the part executes it with the parameters renamed
    ``<prefix><name>``, so parts of one message do not share them.
    """
    prepared = _prepared(statement, expected)
    values = dict(prepared.defaults, **params)
    values['reason'] = reason
    return (prepared.execute(prefix),
            {prefix + name: values[name] for name in prepared.names},
            prepared)


class Prepared:
    """A statement PostgreSQL parses and plans once per connection
    (``PREPARE``) rather than in every message that runs it (``EXECUTE``).

    NOTE: the plan lives in the database session, so the pool keeps, for
    each connection, the names it prepared (``transaction``); a session
    pooler in transaction mode (PgBouncer's) would lose them.
    """

    def __init__(self, sql, types_by_name, defaults):
        self.names = tuple(dict.fromkeys(_PARAMETER.findall(sql)))
        numbers = {name: i + 1 for i, name in enumerate(self.names)}
        body = _PARAMETER.sub(lambda m: '$%d' % numbers[m.group(1)], sql)
        self.name = 'sora_%s' % hashlib.sha1(body.encode()).hexdigest()[:16]
        self.prepare_sql = 'PREPARE %s (%s) AS %s' % (
            self.name, ', '.join(types_by_name[n] for n in self.names),
            body)
        self.defaults = defaults
        self._executes = {}

    def execute(self, prefix):
        """The ``EXECUTE`` of it with parameters named ``<prefix><name>``."""
        sql = self._executes.get(prefix)
        if sql is None:
            sql = self._executes[prefix] = 'EXECUTE %s (%s)' % (
                self.name, ', '.join('%%(%s%s)s' % (prefix, name)
                                     for name in self.names))
        return sql


@functools.lru_cache(maxsize=512)
def _prepared(statement, expected):
    update, types_by_name, defaults = _compiled(statement)
    sql = ('WITH changed AS (%s RETURNING 1) SELECT sora_require('
           'count(*) = %s, %%(reason)s) FROM changed' % (update, expected))
    return Prepared(sql, dict(types_by_name, reason='text'), defaults)


@functools.lru_cache(maxsize=512)
def _compiled(statement):
    """``(sql, {parameter: type}, {parameter: value of a literal})``."""
    compiled = statement.compile(dialect=_DIALECT)
    # A parameter SQLAlchemy knows no type of is left to PostgreSQL to
    # infer from where it stands.
    types_by_name = {
        name: 'unknown' if bind.type._isnull else bind.type.compile(
            dialect=_DIALECT) for name, bind in compiled.binds.items()}
    return compiled.string, types_by_name, dict(compiled.params)


@functools.lru_cache(maxsize=512)
def _prepared_query(statement):
    """``(Prepared, its EXECUTE as a textual select)``: SQLAlchemy caches
    what the result's columns are, as for the statement itself."""
    prepared = Prepared(*_compiled(statement))
    execute = sa.text(_PARAMETER.sub(r':\1', prepared.execute(''))).columns(
        *(sa.column(c.key, c.type) for c in statement.selected_columns))
    return prepared, execute


def query(conn, statement, params):
    """Run the select ``statement`` (a SQLAlchemy statement built once;
    ``params`` its parameters) on ``conn`` as a prepared statement; its
    result, as ``conn.execute(statement, params)`` would return it."""
    prepared, execute = _prepared_query(statement)
    _prepare(conn, [prepared])
    values = dict(prepared.defaults, **params)
    return conn.execute(execute, {
        name: values[name] for name in prepared.names})


def check(condition, params, prefix, reason):
    """A part: ``condition`` (boolean SQL with ``params``) must be true,
    else the transaction is ``Refused`` with ``reason``; parameters
    renamed as in ``required``."""
    values = {'%s%s' % (prefix, name): value for name, value in params.items()}
    values[prefix + 'reason'] = reason
    return _renamed('SELECT sora_require(%s, %%(reason)s)' % condition,
                    prefix), values, None


@functools.lru_cache(maxsize=512)
def _renamed(sql, prefix):
    return _PARAMETER.sub(lambda m: '%%(%s%s)s' % (prefix, m.group(1)), sql)


def transaction(conn, parts):
    """Run ``parts`` (``(sql, params, prepared)``: ``insert``, ``required``
    and ``check`` make them; parameter names distinct) as one transaction
    sent as one message on ``conn``, which must be in psycopg2's autocommit
    mode (``Database.connection(autocommit=True)``).

    Raises ``Refused`` when a ``required`` part did not hold, or the
    database's error; either way nothing of it is written.
    """
    _prepare(conn, [prepared for _, _, prepared in parts if prepared])
    params = {}
    for _, part, _ in parts:
        params.update(part)
    sql = 'BEGIN; %s; COMMIT' % '; '.join(sql for sql, _, _ in parts)
    try:
        conn.exec_driver_sql(sql, params)
    except sa_exc.DBAPIError as e:
        _roll_back(conn)
        if getattr(e.orig, 'pgcode', None) == 'P0001':
            raise Refused(e.orig.diag.message_primary) from e
        raise
    except BaseException:
        _roll_back(conn)
        raise


def _prepare(conn, statements):
    """``PREPARE`` those of ``statements`` the connection has not yet.

    Each in a message of its own: once it succeeded the statement stays,
    whatever becomes of a transaction around it (``PREPARE`` is not
    undone by a rollback). The pool's record of the connection keeps which
    are; it is cleared with the connection.
    """
    done = conn.connection.info.setdefault('sora_prepared', set())
    for prepared in statements:
        if prepared.name not in done:
            conn.exec_driver_sql(prepared.prepare_sql)
            done.add(prepared.name)


def _roll_back(conn):
    """End the failed message's transaction before ``conn`` goes back to
    the pool: psycopg2 did not begin it, so it would not end it either."""
    if conn.invalidated or conn.closed:
        return
    dbapi_conn = conn.connection.dbapi_connection
    if dbapi_conn is None or dbapi_conn.closed:
        return
    status = dbapi_conn.info.transaction_status
    if status == _IDLE:
        return
    if status in _IN_TRANSACTION:
        try:
            with dbapi_conn.cursor() as cursor:
                cursor.execute('ROLLBACK')
            return
        except Exception:  # noqa: BLE001 - the connection is dropped below
            pass
    conn.invalidate()
