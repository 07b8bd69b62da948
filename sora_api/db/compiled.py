"""The hot path's statements, compiled once and run on the driver's cursor.

``Connection.execute`` of a statement built once still costs SQLAlchemy
about 35 microseconds a call on this project's hardware (the compiled
cache's lookup, an execution context, the types' processing), and even
``Connection.exec_driver_sql`` about 11: several times what SQLite takes
to run one of a claim's statements. ``execute`` compiles the statement
once per dialect and runs it on a cursor of the connection's own driver
connection: the same transaction, and the same errors, which go through
the connection's handling of driver errors (wrapped as SQLAlchemy's, the
engine's ``handle_error`` hooks, pool invalidation on a disconnect).
Parameters pass through the processors of their bound types, as SQLAlchemy
applies them (a ``DateTime`` becomes SQLite's text, a ``JSON`` value its
document); rows come back as the driver gives them, so only statements
whose results need no conversion (numbers, strings) belong here.

A statement this cannot send as it is goes through ``Connection.execute``
unchanged: a dialect with named parameters (psycopg2: PostgreSQL's claim
goes as one message anyway, ``together``), an expanding ``IN``, or an
``INSERT`` leaving out a column that has a Python-side default.
"""

import functools


class _Plan:
    """A statement compiled for one dialect: its SQL, the names of its
    positional parameters in order, the positions whose values a bound
    type processes (with the processor), and the values of those the
    statement itself binds."""

    __slots__ = ('sql', 'names', 'processed', 'defaults')

    def __init__(self, sql, names, processors, defaults):
        self.sql = sql
        self.names = names
        self.processed = tuple((i, process)
                               for i, process in enumerate(processors)
                               if process is not None)
        self.defaults = defaults

    def values(self, params):
        """The positional values of one set of ``params``."""
        defaults = self.defaults
        values = [params[name] if name in params else defaults[name]
                  for name in self.names]
        for i, process in self.processed:
            values[i] = process(values[i])
        return values


class Result:
    """What ``execute`` ran: the rows it returned (if any) and how many
    rows it changed."""

    __slots__ = ('rowcount', 'rows')

    def __init__(self, rowcount, rows):
        self.rowcount = rowcount
        self.rows = rows

    def scalar_one(self):
        """The one value of the one row (``ValueError`` otherwise)."""
        (row,) = self.rows
        (value,) = row
        return value

    def scalars(self):
        """The first value of each row."""
        return [row[0] for row in self.rows]


@functools.lru_cache(maxsize=512)
def _plan(statement, dialect, keys):
    """The ``_Plan`` of ``statement`` on ``dialect`` (an ``INSERT`` of the
    columns ``keys``), or None when it cannot be sent as driver SQL."""
    compiled = statement.compile(
        dialect=dialect, column_keys=list(keys) if keys else None)
    if (not compiled.positional
            or compiled.insert_prefetch or compiled.update_prefetch
            or '__[POSTCOMPILE' in compiled.string
            or any(bind.expanding for bind in compiled.binds.values())):
        return None
    names = tuple(compiled.positiontup)
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(
            dialect) for name in names)
    defaults = {name: bind.effective_value
                for name, bind in compiled.binds.items()
                if not bind.required}
    return _Plan(compiled.string, names, processors, defaults)


@functools.lru_cache(maxsize=64)
def _columns(statement, dialect):
    """The names of a ``SELECT``'s columns and each one's result processor
    on ``dialect`` (or None), as ``Result.mappings`` gives them."""
    columns = statement.selected_columns
    return tuple(columns.keys()), tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in columns)


def mappings(conn, statement, params):
    """``conn.execute(statement, params).mappings().all()`` for a
    ``SELECT`` built once: a dict per row, each value as its column's type
    gives it (an SQLite text a ``datetime``, an integer a ``bool``)."""
    plan = _plan(statement, conn.dialect, None)
    if plan is None:
        return [dict(row) for row in conn.execute(statement, params)
                .mappings()]
    names, processors = _columns(statement, conn.dialect)
    return [
        {name: value if process is None else process(value)
         for name, value, process in zip(names, row, processors)}
        for row in driver_sql(conn, plan.sql, plan.values(params)).rows]


def execute(conn, statement, params):
    """``conn.execute(statement, params)`` for a statement built once
    (module level or cached), inside ``conn``'s transaction: ``params``
    one dict, or a list of dicts with the same keys (an ``executemany``).
    Returns a ``Result`` (or, for a statement that cannot go as driver
    SQL, SQLAlchemy's)."""
    many = isinstance(params, list)
    first = params[0] if many else params
    keys = tuple(first) if statement.is_insert else None
    plan = _plan(statement, conn.dialect, keys)
    if plan is None:
        return conn.execute(statement, params)
    if many:
        return driver_sql(conn, plan.sql,
                          [plan.values(row) for row in params], many=True)
    return driver_sql(conn, plan.sql, plan.values(params))


def driver_sql(conn, sql, values=(), many=False):
    """Run ``sql`` (the driver's SQL, with ``values`` for its positional
    parameters; ``many``: a list of them) on a cursor of ``conn``'s driver
    connection, in its transaction; a ``Result``."""
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        if many:
            cursor.executemany(sql, values)
            result = Result(cursor.rowcount, ())
        else:
            cursor.execute(sql, values)
            result = Result(cursor.rowcount,
                            cursor.fetchall() if cursor.description else ())
    except BaseException as e:
        # NOTE: SQLAlchemy's own handling of a driver's error, as
        # ``Connection.execute`` applies it: it closes the cursor (quietly),
        # wraps the error, runs the engine's ``handle_error`` hooks (a
        # storage fault, a deadlock) and invalidates the pool on a
        # disconnect (or on an exit exception, a green thread killed
        # mid-statement, which leaves the connection in no known state);
        # then raises. tests/unit/db/test_compiled.py fails should
        # SQLAlchemy change it.
        conn._handle_dbapi_exception(e, sql, values, cursor, None)
    cursor.close()
    return result
