"""Host taints and dedicated projects.

Revision ID: 0007_taints
Revises: 0006_changes
Create Date: 2026-11-30

Existing hosts get no taints and no projects: they take every request, as
before.
"""

from alembic import op
import sqlalchemy as sa

revision = '0007_taints'
# NOTE: main's newest head when this was written; renumber onto whatever
# is newest when rebasing again.
down_revision = '0006_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'host_taints',
        sa.Column('host_id', sa.String(36),
                  sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('key', sa.String(255), primary_key=True),
        sa.Column('effect', sa.String(32), primary_key=True),
        sa.Column('value', sa.String(255), nullable=False),
    )
    op.create_table(
        'host_projects',
        sa.Column('host_id', sa.String(36),
                  sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('project_id', sa.String(255), primary_key=True),
    )


def downgrade():
    op.drop_table('host_projects')
    op.drop_table('host_taints')
