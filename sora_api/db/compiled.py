"""The hot path's statements, compiled once and sent as the driver's SQL.

``Connection.execute`` of a statement built once still costs SQLAlchemy
about 35 microseconds a call on this project's hardware (the compiled
cache's lookup, an execution context, the types' processing): several
times what SQLite takes to run one of a claim's statements. ``execute``
compiles the statement once per dialect and sends it through
``Connection.exec_driver_sql``, about 11: the same transaction, the same
errors (wrapped as SQLAlchemy's, through the engine's ``handle_error``),
the same pool invalidation. Parameters pass through the processors of
their bound types, as SQLAlchemy applies them (a ``DateTime`` becomes
SQLite's text, a ``JSON`` value its document); rows come back as the
driver gives them, so only statements whose results need no conversion
(numbers, strings) belong here.

A statement this cannot send as it is goes through ``Connection.execute``
unchanged: a dialect with named parameters (psycopg2: PostgreSQL's claim
goes as one message anyway, ``together``), an expanding ``IN``, or an
``INSERT`` leaving out a column that has a Python-side default.
"""

import functools


class _Plan:
    """A statement compiled for one dialect: its SQL, the names of its
    positional parameters in order, each one's processor (or None), and
    the values of those the statement itself binds."""

    __slots__ = ('sql', 'names', 'processors', 'defaults')

    def __init__(self, sql, names, processors, defaults):
        self.sql = sql
        self.names = names
        self.processors = processors
        self.defaults = defaults

    def values(self, params):
        """The positional values of one set of ``params``."""
        defaults = self.defaults
        return tuple(
            value if process is None else process(value)
            for value, process in zip(
                (params[name] if name in params else defaults[name]
                 for name in self.names),
                self.processors))


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


def execute(conn, statement, params):
    """``conn.execute(statement, params)`` for a statement built once
    (module level or cached): ``params`` one dict, or a list of dicts with
    the same keys (an ``executemany``). Returns the driver's result."""
    many = isinstance(params, list)
    first = params[0] if many else params
    keys = tuple(first) if statement.is_insert else None
    plan = _plan(statement, conn.dialect, keys)
    if plan is None:
        return conn.execute(statement, params)
    if many:
        return conn.exec_driver_sql(
            plan.sql, [plan.values(row) for row in params])
    return conn.exec_driver_sql(plan.sql, plan.values(params))
