"""Initial schema: hosts, traits, metadata, schedules, allocations, tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def _timestamps():
    return [sa.Column('created_at', sa.DateTime, nullable=False),
            sa.Column('updated_at', sa.DateTime, nullable=False)]


def upgrade():
    op.create_table(
        'hosts',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('name', sa.String(255), nullable=False),
        sa.Column('availability_zone', sa.String(255), nullable=False),
        sa.Column('enabled', sa.Boolean, nullable=False),
        sa.Column('disabled_reason', sa.String(255)),
        sa.Column('vcpus', sa.BigInteger, nullable=False),
        sa.Column('memory_mb', sa.BigInteger, nullable=False),
        sa.Column('disk_gb', sa.BigInteger, nullable=False),
        sa.Column('cpu_allocation_ratio', sa.Float, nullable=False),
        sa.Column('ram_allocation_ratio', sa.Float, nullable=False),
        sa.Column('disk_allocation_ratio', sa.Float, nullable=False),
        sa.Column('reserved_vcpus', sa.BigInteger, nullable=False),
        sa.Column('reserved_memory_mb', sa.BigInteger, nullable=False),
        sa.Column('reserved_disk_gb', sa.BigInteger, nullable=False),
        sa.Column('vcpus_used', sa.BigInteger, nullable=False),
        sa.Column('memory_mb_used', sa.BigInteger, nullable=False),
        sa.Column('disk_gb_used', sa.BigInteger, nullable=False),
        sa.Column('instances', sa.Integer, nullable=False),
        sa.Column('io_ops', sa.Integer, nullable=False),
        sa.Column('last_heartbeat', sa.DateTime),
        sa.Column('generation', sa.BigInteger, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint('name'),
    )
    op.create_index('ix_hosts_availability_zone', 'hosts',
                    ['availability_zone'])
    op.create_table(
        'host_traits',
        sa.Column('host_id', sa.String(36),
                  sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('trait', sa.String(255), primary_key=True),
    )
    op.create_index('ix_host_traits_trait', 'host_traits', ['trait'])
    op.create_table(
        'host_metadata',
        sa.Column('host_id', sa.String(36),
                  sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('key', sa.String(255), primary_key=True),
        sa.Column('value', sa.String(255), nullable=False),
    )
    op.create_table(
        'schedules',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('user_id', sa.String(255), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('group_name', sa.String(255)),
        sa.Column('request', sa.JSON, nullable=False),
        *_timestamps(),
    )
    op.create_index('ix_schedules_project_id', 'schedules', ['project_id'])
    op.create_index('ix_schedules_project_group', 'schedules',
                    ['project_id', 'group_name'])
    op.create_table(
        'allocations',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('schedule_id', sa.String(36),
                  sa.ForeignKey('schedules.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('instance_index', sa.Integer, nullable=False),
        sa.Column('host_id', sa.String(36), sa.ForeignKey('hosts.id'),
                  nullable=False),
        sa.Column('vcpus', sa.BigInteger, nullable=False),
        sa.Column('memory_mb', sa.BigInteger, nullable=False),
        sa.Column('disk_gb', sa.BigInteger, nullable=False),
        sa.UniqueConstraint('schedule_id', 'instance_index',
                            name='uniq_allocations0schedule_index'),
    )
    op.create_index('ix_allocations_host_id', 'allocations', ['host_id'])
    op.create_table(
        'schedule_groups',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('name', sa.String(255), primary_key=True),
        sa.Column('generation', sa.BigInteger, nullable=False),
    )
    op.create_table(
        'idempotency_keys',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('key', sa.String(255), primary_key=True),
        sa.Column('request_hash', sa.String(64), nullable=False),
        sa.Column('schedule_id', sa.String(36),
                  sa.ForeignKey('schedules.id', ondelete='CASCADE'),
                  nullable=False),
    )
    op.create_index('ix_idempotency_keys_schedule_id', 'idempotency_keys',
                    ['schedule_id'])
    op.create_table(
        'tokens',
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('token_hash', sa.String(64), nullable=False),
        sa.Column('user_id', sa.String(255), nullable=False),
        sa.Column('project_id', sa.String(255), nullable=False),
        sa.Column('roles', sa.String(1024), nullable=False),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.UniqueConstraint('token_hash'),
    )
