"""The change feed: events, their counter, and each host's noted liveness.

Revision ID: 0009_events
Revises: 0008_group_policies
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

revision = '0009_events'
down_revision = '0008_group_policies'
branch_labels = None
depends_on = None


def upgrade():
    # NOTE: a plain ADD COLUMN, not a batch: on SQLite a batch copies and
    # drops ``hosts``, which the foreign keys of live allocations forbid.
    op.add_column('hosts', sa.Column('seen_down', sa.Boolean, nullable=False,
                                     server_default=sa.false()))
    op.create_table(
        'events',
        sa.Column('pk', sa.BigInteger().with_variant(sa.Integer, 'sqlite'),
                  primary_key=True, autoincrement=True),
        sa.Column('id', sa.BigInteger),
        sa.Column('time', sa.DateTime, nullable=False),
        sa.Column('type', sa.String(32), nullable=False),
        sa.Column('host_id', sa.String(36)),
        sa.Column('schedule_id', sa.String(36)),
        sa.Column('project_id', sa.String(255)),
    )
    op.create_index('ix_events_id', 'events', ['id'], unique=True)
    op.create_index('ix_events_time', 'events', ['time'])
    op.create_index('ix_events_project_id', 'events', ['project_id', 'id'])
    table = op.create_table(
        'event_counter',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=False),
        sa.Column('seq', sa.BigInteger, nullable=False),
        sa.Column('pruned_seq', sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{'id': 1, 'seq': 0, 'pruned_seq': 0}])
