"""A project's usage rows only for the resources its own limits name.

Revision ID: 0011_usage_rows_for_limits
Revises: 0010_host_created_microseconds
Create Date: 2026-12-01

Until now every resource a project ever claimed had a row, and every
claim of the project queued on them. Now a row is kept only for a
resource a limit applies to (``sora_api/db/quotas.py``): rows are dropped
where the project has no limit of its own, and a limit of its own that
had no row (nothing was ever claimed of it) gets one at 0. Resources that
a ``[quota]`` default limits get their rows again at their next claim,
counted from the allocations.
"""

from alembic import op

revision = '0011_usage_rows_for_limits'
down_revision = '0010_host_created_microseconds'
branch_labels = None
depends_on = None


def upgrade():
    op.execute(
        'DELETE FROM project_usages WHERE NOT EXISTS ('
        'SELECT 1 FROM quotas q WHERE q.project_id = project_usages.project_id'
        ' AND q.resource = project_usages.resource AND q.hard_limit >= 0)')
    op.execute(
        'INSERT INTO project_usages (project_id, resource, used) '
        'SELECT q.project_id, q.resource, 0 FROM quotas q '
        'WHERE q.hard_limit >= 0 AND NOT EXISTS ('
        'SELECT 1 FROM project_usages u WHERE u.project_id = q.project_id'
        ' AND u.resource = q.resource)')
