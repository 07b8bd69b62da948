"""Real databases per test: an SQLite file migrated to the newest schema,
and empty ones (SQLite, and PostgreSQL when the run has one) to migrate,
or migrated (``migrated_database``: claims, which take another path on
PostgreSQL)."""

import pytest

from sora_api.db import engine
from sora_api.db import migration
from tests import pg
from tests.functional import server as sora_server


@pytest.fixture
def db(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    database = engine.Database(conf)
    migration.upgrade(database.engine)
    yield database
    database.engine.dispose()


@pytest.fixture(params=['sqlite', 'postgresql'])
def empty_database(request, conf, tmp_path):
    """An empty SQLite file, or PostgreSQL database when the run has one."""
    conf.set_override('state_path', str(tmp_path))
    url = None
    if request.param == 'postgresql':
        if not sora_server.postgresql_url():
            pytest.skip('needs PostgreSQL: scripts/test.sh '
                        '--with-postgresql, or set SORA_TEST_DATABASE_URL')
        url = pg.create_database(sora_server.postgresql_url())
        conf.set_override('connection', url, group='database')
    db = engine.Database(conf)
    yield db
    db.engine.dispose()
    if url:
        pg.drop_database(url)



@pytest.fixture
def migrated_database(empty_database):
    """``empty_database`` migrated to the newest schema."""
    migration.upgrade(empty_database.engine)
    return empty_database
