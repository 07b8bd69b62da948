"""Statements compiled once and sent as driver SQL (``compiled``), on a
real SQLite file: what they write is what ``Connection.execute`` writes,
and what they cannot send as it is still runs, through SQLAlchemy."""

import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import mysql
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite

from sora_api.db import claims
from sora_api.db import compiled
from sora_api.db import counter_changes
from sora_api.db import counters
from sora_api.db import events
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from sora_api.db import quotas
from sora_api.db import usage
from tests.unit.db.test_claims import make_host  # noqa: F401 - a fixture

S = models.Schedule.__table__
A = models.Allocation.__table__
NOW = datetime.datetime(2026, 12, 1, 17, 30, 0, 0)


@pytest.fixture
def host_id(make_host):  # noqa: F811 - the fixture imported above
    return make_host()


def schedule_row(schedule_id):
    # Microseconds 0: SQLAlchemy's SQLite text still spells them out.
    return dict(id=schedule_id, project_id='p', user_id='u',
                status='active', group_name=None,
                request={'resources': {'vcpus': 1}, 'num_instances': 2},
                generation=1, expires_at=None, created_at=NOW,
                updated_at=NOW)


def test_rows_are_stored_as_sqlalchemy_stores_them(db, host_id):
    with db.connection(writer=True) as conn:
        conn.execute(claims._INSERT_SCHEDULE, schedule_row('by-sqlalchemy'))
        compiled.execute(conn, claims._INSERT_SCHEDULE,
                         schedule_row('by-driver'))
        compiled.execute(conn, claims._INSERT_ALLOCATION, [
            dict(schedule_id='by-driver', instance_index=i, host_id=host_id,
                 vcpus=1, memory_mb=512, disk_gb=0) for i in range(2)])
    with db.connection() as conn:
        stored = {row.id: row for row in conn.execute(
            sa.text('SELECT id, request, created_at FROM schedules'))}
        typed = {row.id: row for row in conn.execute(
            sa.select(S.c.id, S.c.request, S.c.created_at))}
        allocations = conn.execute(
            sa.select(A.c.instance_index, A.c.host_id).where(
                A.c.schedule_id == 'by-driver').order_by(
                A.c.instance_index)).all()
    # The very text in the file, and the values read back through types.
    assert stored['by-driver'][1:] == stored['by-sqlalchemy'][1:]
    assert stored['by-driver'].created_at == '2026-12-01 17:30:00.000000'
    assert typed['by-driver'].request == {'resources': {'vcpus': 1},
                                          'num_instances': 2}
    assert typed['by-driver'].created_at == NOW
    assert allocations == [(0, host_id), (1, host_id)]


def test_a_conditional_update_counts_the_rows_it_changed(db, host_id):
    asked = {'vcpus': 6, 'memory_mb': 0, 'disk_gb': 0}
    with db.connection(writer=True) as conn:
        assert usage.claim_host(conn, host_id, asked, 1, NOW)
        # 6 of 8 vCPUs taken: another 6 no longer fit.
        assert not usage.claim_host(conn, host_id, asked, 1, NOW)
    with db.connection() as conn:
        host = conn.execute(sa.select(models.Host.__table__).where(
            models.Host.__table__.c.id == host_id)).one()
    assert (host.vcpus_used, host.instances, host.updated_at) == (6, 1, NOW)


def test_returning_and_selects_give_the_drivers_values(db):
    with db.connection(writer=True) as conn:
        first = counters.take(conn, models.EventCounter.__table__, 1)
        assert counters.take(conn, models.EventCounter.__table__, 3) == (
            first + 3)
        assert list(compiled.execute(conn, quotas._TRACKED,
                                     {'project': 'none'}).scalars()) == []


def test_a_database_error_is_raised_as_sqlalchemys(db):
    with pytest.raises(sa_exc.IntegrityError):
        with db.connection(writer=True) as conn:
            for _ in range(2):
                compiled.execute(conn, claims._INSERT_SCHEDULE,
                                 schedule_row('twice'))
    # The transaction rolled back whole.
    with db.connection() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(
            S)).scalar() == 0


def test_a_database_error_goes_through_the_engines_error_hooks(db):
    # The hooks that turn a full disk into a storage fault and a deadlock
    # into a lost race see the driver's error and the statement.
    seen = []

    def hook(context):
        seen.append((type(context.original_exception).__name__,
                     context.statement))

    sa.event.listen(db.engine, 'handle_error', hook)
    try:
        with pytest.raises(sa_exc.IntegrityError) as raised:
            with db.connection(writer=True) as conn:
                for _ in range(2):
                    compiled.execute(conn, claims._INSERT_SCHEDULE,
                                     schedule_row('twice'))
    finally:
        sa.event.remove(db.engine, 'handle_error', hook)
    assert seen == [('IntegrityError', raised.value.statement)]
    assert raised.value.statement.startswith('INSERT INTO schedules')


def test_what_cannot_go_as_driver_sql_goes_through_sqlalchemy(db, host_id):
    # An INSERT leaving out columns with Python-side defaults (status,
    # generation, times), and an expanding IN.
    row = {'id': 'defaults', 'project_id': 'p', 'user_id': 'u',
           'request': {}}
    with db.connection(writer=True) as conn:
        assert compiled._plan(claims._INSERT_SCHEDULE, conn.dialect,
                              tuple(row)) is None
        compiled.execute(conn, claims._INSERT_SCHEDULE, row)
        assert compiled._plan(db_hosts._STAMP_USAGE, conn.dialect,
                              None) is None
        compiled.execute(conn, db_hosts._STAMP_USAGE,
                         {'ids': [host_id], 'seq': 41})
    with db.connection() as conn:
        assert conn.execute(sa.select(S.c.status, S.c.generation).where(
            S.c.id == 'defaults')).one() == ('active', 1)
        assert conn.execute(sa.select(models.Host.__table__.c.change_seq)
                            ).scalar() == 41


@pytest.mark.parametrize('dialect, sent', [
    (sqlite.dialect(), True), (mysql.dialect(), True),
    # psycopg2 names its parameters: PostgreSQL's claims go as one
    # message (``together``), the rest through SQLAlchemy.
    (postgresql.dialect(), False)])
def test_the_claims_statements_go_as_driver_sql_where_they_can(dialect,
                                                                sent):
    statements = [
        (usage._claim_statement(('vcpus', 'memory_mb'), True), None),
        (usage._CLAIM_INVENTORY, None),
        (claims._INSERT_SCHEDULE, tuple(schedule_row('s'))),
        (claims._INSERT_ALLOCATION, ('schedule_id', 'instance_index',
                                     'host_id', 'vcpus', 'memory_mb',
                                     'disk_gb')),
        (quotas._TRACKED, None),
        (counters._statements(models.HostChanges.__table__)[1], None),
        (db_hosts._STAMP_ONE_USAGE, None),
        (events._INSERT, ('schedule_id', 'project_id', 'id', 'time',
                          'type'))]
    for statement, keys in statements:
        assert (compiled._plan(statement, dialect, keys) is not None) == sent
        # Where it is not sent so, Connection.execute compiles it with the
        # parameters' names: none may be a column's (CompileError).
        statement.compile(dialect=dialect,
                          column_keys=list(keys or _parameters(statement)))


def _parameters(statement):
    return [name for name, bind in statement.compile().binds.items()
            if bind.required]


def test_rows_read_come_back_as_sqlalchemy_gives_them(db, host_id):
    # The catch-up's rows: text times, integer booleans and the head's
    # numbers, each as its column's type reads it.
    params = {'witness': host_id, 'seq': -1}
    with db.connection() as conn:
        read = compiled.mappings(conn, counter_changes._SINCE, params)
        expected = [dict(row) for row in conn.execute(
            counter_changes._SINCE, params).mappings()]
    assert read == expected
    assert [type(read[0][c]) for c in ('enabled', 'created_at', 'vcpus')
            ] == [bool, datetime.datetime, int]
    assert read[0]['id'] == host_id
