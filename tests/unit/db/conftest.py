"""Real databases per test: an SQLite file migrated to the newest schema,
and empty ones (SQLite, and PostgreSQL when the run has one) to migrate,
or migrated (``migrated_database``: claims, which take another path on
PostgreSQL)."""

import pathlib

import pytest

from sora_api.db import engine
from sora_api.db import migration
from tests import pg
from tests.functional import server as sora_server

_HERE = pathlib.Path(__file__).parent


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Mark ``database_independent`` (pytest.ini) each test here that no
    PostgreSQL database reaches: ``empty_database``'s postgresql case is
    the only way to one, and the rest run on SQLite files, the same in the
    SQLite pass as they would again in the PostgreSQL pass.

    tryfirst: before ``-m`` selects. The hook is given every item of the
    session, hence the path check."""
    for item in items:
        if _HERE not in item.path.parents:
            continue
        callspec = getattr(item, 'callspec', None)
        if (callspec is not None and callspec.params.get(
                'empty_database') == 'postgresql'):
            continue
        item.add_marker(pytest.mark.database_independent)


@pytest.fixture(autouse=True)
def _database_independent(request, monkeypatch):
    """A test marked above that makes a PostgreSQL database after all
    fails, rather than being left out of the PostgreSQL pass for nothing
    (as tests/functional/conftest.py's guard)."""
    if request.node.get_closest_marker('database_independent') is None:
        return

    def refuse(admin_url, prefix='sora'):
        raise AssertionError('marked database_independent, but makes a '
                             'PostgreSQL database')
    monkeypatch.setattr(pg, 'create_database', refuse)


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
        assert request.node.get_closest_marker(
            'database_independent') is None, 'the PostgreSQL pass skips it'
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
