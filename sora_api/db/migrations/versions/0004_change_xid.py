"""Host changes without a hot row: PostgreSQL stamps each changed host with
its writer's transaction id; every database gets an identity row.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import uuid

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# NOTE: triggers, not the application, stamp the transaction id, so the
# changes of servers of an earlier release on the same database (which do
# not know these columns) are seen by this release's host caches too.
_HOSTS_FUNCTION = """
CREATE FUNCTION sora_stamp_host_change() RETURNS trigger AS $$
BEGIN
    NEW.change_xid := txid_current();
    IF TG_OP = 'INSERT' OR NEW.attrs_seq IS DISTINCT FROM OLD.attrs_seq THEN
        NEW.attrs_xid := NEW.change_xid;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_TOMBSTONES_FUNCTION = """
CREATE FUNCTION sora_stamp_host_deletion() RETURNS trigger AS $$
BEGIN
    NEW.change_xid := txid_current();
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
_TRIGGERS = (
    'CREATE TRIGGER sora_host_change BEFORE INSERT OR UPDATE ON hosts '
    'FOR EACH ROW EXECUTE FUNCTION sora_stamp_host_change()',
    'CREATE TRIGGER sora_host_deletion BEFORE INSERT ON host_tombstones '
    'FOR EACH ROW EXECUTE FUNCTION sora_stamp_host_deletion()',
)


def upgrade():
    with op.batch_alter_table('hosts') as batch:
        batch.add_column(sa.Column('change_xid', sa.BigInteger))
        batch.add_column(sa.Column('attrs_xid', sa.BigInteger))
        batch.create_index('ix_hosts_change_xid', ['change_xid'])
    with op.batch_alter_table('host_tombstones') as batch:
        batch.add_column(sa.Column('change_xid', sa.BigInteger))
        batch.create_index('ix_host_tombstones_change_xid', ['change_xid'])
    table = op.create_table(
        'database_identity',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=False),
        sa.Column('uuid', sa.String(36), nullable=False),
    )
    op.bulk_insert(table, [{'id': 1, 'uuid': str(uuid.uuid4())}])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(_HOSTS_FUNCTION)
        op.execute(_TOMBSTONES_FUNCTION)
        for statement in _TRIGGERS:
            op.execute(statement)
