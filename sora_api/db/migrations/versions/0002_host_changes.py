"""Track host changes so each worker's host cache refreshes incrementally.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('hosts') as batch:
        batch.add_column(sa.Column('change_seq', sa.BigInteger,
                                   nullable=False, server_default='0'))
        batch.add_column(sa.Column('attrs_seq', sa.BigInteger,
                                   nullable=False, server_default='0'))
        batch.create_index('ix_hosts_change_seq', ['change_seq'])
    table = op.create_table(
        'host_changes',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=False),
        sa.Column('seq', sa.BigInteger, nullable=False),
        sa.Column('deleted_seq', sa.BigInteger, nullable=False),
    )
    op.bulk_insert(table, [{'id': 1, 'seq': 0, 'deleted_seq': 0}])
    op.create_table(
        'host_tombstones',
        sa.Column('host_id', sa.String(36), primary_key=True),
        sa.Column('change_seq', sa.BigInteger, nullable=False),
    )
    op.create_index('ix_host_tombstones_change_seq', 'host_tombstones',
                    ['change_seq'])
