"""Schedule generations and holds that expire.

Revision ID: 0006_changes
Revises: 0004
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = '0006_changes'
# NOTE: main's newest head when this was rebased (scale's 0004_change_xid);
# renumber onto whatever is newest when rebasing again.
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('schedules') as batch:
        batch.add_column(sa.Column('generation', sa.Integer, nullable=False,
                                   server_default='1'))
        batch.add_column(sa.Column('expires_at', sa.DateTime))
        batch.create_index('ix_schedules_status_expires',
                           ['status', 'expires_at'])


def downgrade():
    with op.batch_alter_table('schedules') as batch:
        batch.drop_index('ix_schedules_status_expires')
        batch.drop_column('expires_at')
        batch.drop_column('generation')
