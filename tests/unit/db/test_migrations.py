"""The alembic migrations build exactly the schema the models describe."""

import sqlalchemy as sa

from sora_api.db import engine
from sora_api.db import migration


def _database(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    return engine.Database(conf)


def test_default_database_is_an_sqlite_file_under_state_path(conf, tmp_path):
    db = _database(conf, tmp_path)
    assert db.is_sqlite
    assert db.url.database == str(tmp_path / 'sora.sqlite')


def test_upgrade_creates_the_schema_of_the_models(conf, tmp_path):
    db = _database(conf, tmp_path)
    migration.upgrade(db.engine)
    assert migration.current_revision(db.engine) == migration.head_revision()
    assert migration.differences(db.engine) == []


def test_upgrade_twice_is_harmless(conf, tmp_path):
    db = _database(conf, tmp_path)
    migration.upgrade(db.engine)
    migration.upgrade(db.engine)
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {'hosts', 'host_traits', 'host_metadata', 'schedules',
            'allocations', 'schedule_groups', 'idempotency_keys',
            'tokens'} <= tables


def test_sqlite_runs_in_wal_mode_with_foreign_keys(conf, tmp_path):
    db = _database(conf, tmp_path)
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql('PRAGMA journal_mode').scalar() == 'wal'
        assert conn.exec_driver_sql('PRAGMA foreign_keys').scalar() == 1


def test_ping_is_false_when_the_database_cannot_be_opened(conf, tmp_path):
    # A directory where the database file should be cannot be opened.
    conf.set_override('connection', 'sqlite:///%s' % tmp_path,
                      group='database')
    db = engine.Database(conf)
    assert db.ping() is False
