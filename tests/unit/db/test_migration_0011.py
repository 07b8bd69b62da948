"""0011: usage rows only for the resources a project's own limits name."""

import pytest
import sqlalchemy as sa

from sora_api import exception
from sora_api.db import claims as db_claims
from sora_api.db import migration
from sora_api.db import models
from sora_api.db import quotas
from sora_api.db import schedules as db_schedules
from tests.functional import invariants
from tests.unit.db import release_0002


def _rows(db):
    with db.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.select(
            models.ProjectUsage.__table__)))


def test_upgrade_keeps_rows_only_for_limits_and_counts_from_allocations(
        empty_database):
    db = empty_database
    migration.upgrade(db.engine, '0010_host_created_microseconds')
    with db.engine.begin() as conn:
        host_a, host_b = release_0002.fill(conn)
        # As 0010 kept them: a row for everything each project claimed;
        # p limits VCPU (and lifts instances), r limits a class it never
        # claimed.
        conn.execute(sa.insert(models.ProjectUsage.__table__), [
            {'project_id': p, 'resource': r, 'used': n}
            for p, r, n in (('p', 'instances', 3), ('p', 'VCPU', 6),
                            ('p', 'MEMORY_MB', 3072), ('q', 'instances', 1),
                            ('q', 'VCPU', 2), ('q', 'MEMORY_MB', 1024))])
        conn.execute(sa.insert(models.Quota.__table__), [
            {'project_id': p, 'resource': r, 'hard_limit': n}
            for p, r, n in (('p', 'VCPU', 8), ('p', 'instances', -1),
                            ('r', 'DISK_GB', 100))])
    migration.upgrade(db.engine)
    assert migration.differences(db.engine) == []
    assert _rows(db) == [('p', 'VCPU', 6), ('r', 'DISK_GB', 0)]
    # Usage is read from the allocations, rows or not.
    assert quotas.usage(db, 'q') == {'instances': 1, 'VCPU': 2,
                                     'MEMORY_MB': 1024, 'DISK_GB': 0}
    # p's limit still holds: 6 of 8 vCPUs used.
    request = {'resources': {'vcpus': 2}, 'num_instances': 1}
    db_claims.claim(db, 'p', 'u', request, [(host_b, 'b')])
    with pytest.raises(exception.OverQuota):
        db_claims.claim(db, 'p', 'u', request, [(host_b, 'b')])
    # A default limit starts q's rows at its next claim, counted from
    # what it held before the upgrade.
    db_claims.claim(db, 'q', 'u', request, [(host_a, 'a')],
                    quota_limits={'instances': 2})
    assert ('q', 'instances', 2) in _rows(db)
    db_schedules.delete(db, 's-q')
    assert ('q', 'instances', 1) in _rows(db)
    invariants.check(db)
