"""``sora-manage db sync`` on a real database file."""

import json
import subprocess

import sqlalchemy as sa

from sora_api.db import migration
from tests.functional import server as sora_server


def _manage(config_file, *args):
    return subprocess.run(sora_server.command('sora-manage')
                          + ['--config-file', str(config_file), *args],
                          capture_output=True, text=True, timeout=60)


def test_db_sync_creates_the_schema_of_a_server_database_url(tmp_path):
    database = tmp_path / 'elsewhere.sqlite'
    config = tmp_path / 'sora.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\n[database]\n'
                      'connection = sqlite:///%s\n' % (tmp_path, database))
    result = _manage(config, 'db', 'sync')
    assert result.returncode == 0, result.stderr
    assert 'revision %s' % migration.head_revision() in result.stdout
    engine = sa.create_engine('sqlite:///%s' % database)
    assert migration.current_revision(engine) == migration.head_revision()
    assert 'hosts' in sa.inspect(engine).get_table_names()
    # Running it again is a no-op that still succeeds.
    assert _manage(config, 'db', 'sync').returncode == 0


def test_an_unknown_command_fails_with_usage(tmp_path):
    config = tmp_path / 'sora.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)
    result = _manage(config, 'frobnicate')
    assert result.returncode != 0
    assert 'usage' in result.stderr.lower()


def test_sora_manage_honours_log_format_json(tmp_path):
    config = tmp_path / 'sora.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\nlog_format = json\n'
                      % tmp_path)
    result = _manage(config, 'db', 'sync')
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    # alembic logs as it migrates the new database: each line one object.
    assert lines
    records = [json.loads(line) for line in lines]
    assert {r['levelname'] for r in records} == {'INFO'}
    assert result.stdout.startswith('Database at revision')
