"""A group's policy, topology key and max per domain, fixed by its first
live schedule.

Revision ID: 0008_group_policies
Revises: 0007_taints
Create Date: 2026-11-30
"""

from alembic import op
import sqlalchemy as sa

from sora_api import topology

revision = '0008_group_policies'
down_revision = '0007_taints'
branch_labels = None
depends_on = None

_GROUPS = sa.table('schedule_groups', sa.column('project_id'),
                   sa.column('name'), sa.column('policy'),
                   sa.column('topology_key'), sa.column('max_per_domain'))
_SCHEDULES = sa.table('schedules', sa.column('project_id'),
                      sa.column('group_name'), sa.column('status'),
                      sa.column('request', sa.JSON),
                      sa.column('created_at'))


def upgrade():
    with op.batch_alter_table('schedule_groups') as batch:
        batch.add_column(sa.Column('policy', sa.String(32)))
        batch.add_column(sa.Column('topology_key', sa.String(300)))
        batch.add_column(sa.Column('max_per_domain', sa.Integer))
    _fix_existing_groups(op.get_bind())


def _fix_existing_groups(conn):
    """Each group takes the policy of its first live schedule, as a claim
    would have written it."""
    first = {}
    for project_id, group, request in conn.execute(
            sa.select(_SCHEDULES.c.project_id, _SCHEDULES.c.group_name,
                      _SCHEDULES.c.request)
            .where(_SCHEDULES.c.group_name.is_not(None),
                   _SCHEDULES.c.status.in_(['active', 'held']))
            .order_by(_SCHEDULES.c.created_at.desc())):
        first[project_id, group] = request
    for (project_id, group), request in first.items():
        policy, key, limit = topology.group_policy(
            (request or {}).get('hints', {}))
        conn.execute(sa.update(_GROUPS).where(
            _GROUPS.c.project_id == project_id, _GROUPS.c.name == group
        ).values(policy=policy, topology_key=key, max_per_domain=limit))


def downgrade():
    with op.batch_alter_table('schedule_groups') as batch:
        batch.drop_column('max_per_domain')
        batch.drop_column('topology_key')
        batch.drop_column('policy')
