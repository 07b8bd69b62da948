"""Several statements in one round trip to PostgreSQL.

psycopg2 sends a query string with parameters filled in by the client, so
statements joined with ``;`` travel, are parsed and run as one message;
the result is the last statement's. A claim on PostgreSQL sends its
``INSERT``s and its look at the usage rows this way: seven round trips
become four, which saves CPU in the worker (each is a green-thread switch
and a pass through SQLAlchemy) and in PostgreSQL.
"""

import functools


def insert(table, rows, prefix):
    """``(sql, params)``: one ``INSERT`` of ``rows`` (dicts with the same
    keys) into ``table``, its parameters named ``<prefix><i>_<column>``."""
    columns = tuple(rows[0])
    params = {'%s%d_%s' % (prefix, i, c): row[c]
              for i, row in enumerate(rows) for c in columns}
    return _insert_sql(table.name, columns, len(rows), prefix), params


@functools.cache
def _insert_sql(table, columns, count, prefix):
    values = ', '.join(
        '(%s)' % ', '.join('%%(%s%d_%s)s' % (prefix, i, c) for c in columns)
        for i in range(count))
    return 'INSERT INTO %s (%s) VALUES %s' % (table, ', '.join(columns),
                                              values)


def run(conn, parts):
    """Send ``parts`` (``(sql, params)`` pairs, parameter names distinct)
    as one round trip on ``conn``; the last one's rows."""
    params = {}
    for _, part in parts:
        params.update(part)
    return conn.exec_driver_sql(
        '; '.join(sql for sql, _ in parts), params).all()
