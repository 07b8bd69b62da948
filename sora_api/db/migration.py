"""Schema creation and upgrades through alembic (``sora-manage db sync``)."""

import os

from alembic import autogenerate
from alembic import command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from sora_api.db import models

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(engine):
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', MIGRATIONS_DIR)
    cfg.attributes['engine'] = engine
    return cfg


def upgrade(engine, revision='head'):
    """Bring the schema of ``engine``'s database up to ``revision``."""
    command.upgrade(_config(engine), revision)


def differences(engine):
    """How the database's schema differs from the models (alembic's
    autogenerate comparison); empty when the migrations built it right."""
    with engine.connect() as conn:
        context = alembic_migration.MigrationContext.configure(conn)
        return autogenerate.compare_metadata(context, models.Base.metadata)


def current_revision(engine):
    with engine.connect() as conn:
        return alembic_migration.MigrationContext.configure(
            conn).get_current_revision()


def head_revision():
    return alembic_script.ScriptDirectory(MIGRATIONS_DIR).get_current_head()


def known_revisions():
    """Every revision this code's migrations know."""
    return {script.revision for script in alembic_script.ScriptDirectory(
        MIGRATIONS_DIR).walk_revisions()}
