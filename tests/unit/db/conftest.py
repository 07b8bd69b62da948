"""A real SQLite database file, migrated to the newest schema, per test."""

import pytest

from sora_api.db import engine
from sora_api.db import migration


@pytest.fixture
def db(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    database = engine.Database(conf)
    migration.upgrade(database.engine)
    yield database
    database.engine.dispose()
