"""Custom resource classes, their inventories and allocations; quotas.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

Existing hosts keep their standard capacity and usage columns. Each
project's usage (``project_usages``) starts as the sum of its live
allocations, so quotas set after the upgrade count what is already held.
"""

from alembic import op
import sqlalchemy as sa

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# resource name in project_usages -> what sums it over allocations.
_STANDARD_USAGE = (('instances', 'count(*)'), ('VCPU', 'sum(a.vcpus)'),
                   ('MEMORY_MB', 'sum(a.memory_mb)'),
                   ('DISK_GB', 'sum(a.disk_gb)'))


def upgrade():
    with op.batch_alter_table('hosts') as batch:
        batch.add_column(sa.Column('custom_inventories', sa.Integer,
                                   nullable=False, server_default='0'))
    op.create_table(
        'resource_classes',
        sa.Column('name', sa.String(255), primary_key=True),
        sa.Column('created_at', sa.DateTime, nullable=False),
    )
    op.create_table(
        'inventories',
        sa.Column('host_id', sa.String(36),
                  sa.ForeignKey('hosts.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('resource_class', sa.String(255),
                  sa.ForeignKey('resource_classes.name'), primary_key=True),
        sa.Column('total', sa.BigInteger, nullable=False),
        sa.Column('reserved', sa.BigInteger, nullable=False),
        sa.Column('allocation_ratio', sa.Float, nullable=False),
        sa.Column('max_unit', sa.BigInteger, nullable=False),
        sa.Column('used', sa.BigInteger, nullable=False),
    )
    op.create_index('ix_inventories_resource_class', 'inventories',
                    ['resource_class'])
    op.create_table(
        'custom_allocations',
        sa.Column('schedule_id', sa.String(36),
                  sa.ForeignKey('schedules.id', ondelete='CASCADE'),
                  primary_key=True),
        sa.Column('instance_index', sa.Integer, primary_key=True),
        sa.Column('resource_class', sa.String(255),
                  sa.ForeignKey('resource_classes.name'), primary_key=True),
        sa.Column('host_id', sa.String(36), sa.ForeignKey('hosts.id'),
                  nullable=False),
        sa.Column('amount', sa.BigInteger, nullable=False),
    )
    op.create_index('ix_custom_allocations_host_id', 'custom_allocations',
                    ['host_id'])
    op.create_table(
        'quotas',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('resource', sa.String(255), primary_key=True),
        sa.Column('hard_limit', sa.BigInteger, nullable=False),
    )
    op.create_table(
        'project_usages',
        sa.Column('project_id', sa.String(255), primary_key=True),
        sa.Column('resource', sa.String(255), primary_key=True),
        sa.Column('used', sa.BigInteger, nullable=False),
    )
    for resource, amount in _STANDARD_USAGE:
        op.execute(sa.text(
            'INSERT INTO project_usages (project_id, resource, used) '
            'SELECT s.project_id, :resource, %s FROM allocations a '
            'JOIN schedules s ON s.id = a.schedule_id '
            'GROUP BY s.project_id' % amount
        ).bindparams(resource=resource))
