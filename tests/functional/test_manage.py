"""``sora-manage``: db sync, tokens and log format, as the docs show them."""

import json
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from sora_api.db import migration
from tests import docblocks
from tests.functional import server as sora_server

# Every test here writes its own configuration with an SQLite file (or the
# default one under its state_path): none reaches the database of a
# PostgreSQL or MariaDB pass, which would run them the same again.
pytestmark = pytest.mark.database_independent


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


@pytest.mark.parametrize('name', ['upgrade-db-sync', 'postgresql-db-sync'])
def test_the_documented_db_sync_upgrades_a_server_database(tmp_path, name):
    database = tmp_path / 'server.sqlite'
    config = tmp_path / 'sora.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\n[database]\n'
                      'connection = sqlite:///%s\n' % (tmp_path, database))
    for _ in range(2):  # and again: at the newest revision it does nothing
        result = _run_documented(name, config)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == (
            'Database at revision %s' % migration.head_revision())


def test_the_documented_token_commands_create_list_and_revoke(tmp_path):
    config = tmp_path / 'sora.conf'
    config.write_text('[DEFAULT]\nstate_path = %s\n' % tmp_path)
    first = _manage(config, 'token', 'create', '--user', 'old',
                    '--project', 'admin', '--role', 'admin')
    old_id = first.stdout.split()[2]
    result = _run_documented('tokens', config, TOKEN_ID=old_id)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('Created token ')
    assert 'ops' in result.stdout and old_id in result.stdout
    assert lines[-1] == 'Revoked token %s' % old_id
    listed = _manage(config, 'token', 'list').stdout
    assert old_id not in listed and ' ops ' in listed


def _run_documented(name, config, **replace):
    script = docblocks.block(name).replace('/etc/sora/sora.conf',
                                           str(config))
    for old, new in replace.items():
        script = script.replace(old, new)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ['PATH'])
    return subprocess.run(['bash', '-euo', 'pipefail', '-c', script],
                          env=env, capture_output=True, text=True,
                          timeout=60)
