"""A host's creation time keeps its microseconds on MySQL and MariaDB.

Equally weighed hosts rank oldest first; hosts registered within one
second tied on a DATETIME of whole seconds. SQLite and PostgreSQL keep
microseconds already. Existing hosts keep the whole seconds they have.

Revision ID: 0010_host_created_microseconds
Revises: 0009_events
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy.dialects import mysql

revision = '0010_host_created_microseconds'
down_revision = '0009_events'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name in ('mysql', 'mariadb'):
        op.alter_column('hosts', 'created_at',
                        type_=mysql.DATETIME(fsp=6),
                        existing_type=mysql.DATETIME(),
                        existing_nullable=False)
