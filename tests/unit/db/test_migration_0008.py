"""0008: groups take the policy their first live schedule fixed."""

import datetime

import sqlalchemy as sa

from sora_api.db import engine
from sora_api.db import migration

NOW = datetime.datetime(2026, 11, 30, 12, 0, 0)


def _schedule(schedules, schedule_id, group, status, hints, minute):
    return sa.insert(schedules).values(
        id=schedule_id, project_id='p', user_id='u', status=status,
        group_name=group, generation=1,
        request={'resources': {'vcpus': 1}, 'hints': hints},
        created_at=NOW + datetime.timedelta(minutes=minute),
        updated_at=NOW)


def test_upgrade_fixes_each_group_to_its_first_live_schedule(conf,
                                                              tmp_path):
    conf.set_override('state_path', str(tmp_path))
    db = engine.Database(conf)
    migration.upgrade(db.engine, '0007_taints')
    with db.engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        groups, schedules = meta.tables['schedule_groups'], meta.tables[
            'schedules']
        conn.execute(sa.insert(groups), [
            {'project_id': 'p', 'name': n, 'generation': 3}
            for n in ('web', 'plain', 'gone')])
        conn.execute(_schedule(schedules, 's0', 'web', 'expired',
                               {'group': 'web', 'group_policy': 'affinity'},
                               0))
        conn.execute(_schedule(schedules, 's1', 'web', 'active',
                               {'group': 'web',
                                'group_policy': 'anti-affinity'}, 1))
        conn.execute(_schedule(schedules, 's2', 'web', 'active',
                               {'group': 'web',
                                'group_policy': 'anti-affinity'}, 2))
        conn.execute(_schedule(schedules, 's3', 'plain', 'held',
                               {'group': 'plain'}, 3))
    migration.upgrade(db.engine)
    assert migration.differences(db.engine) == []
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            'SELECT name, generation, policy, topology_key, max_per_domain '
            'FROM schedule_groups ORDER BY name')).all()
    assert [tuple(r) for r in rows] == [
        ('gone', 3, None, None, None),
        ('plain', 3, None, None, None),
        ('web', 3, 'anti-affinity', 'host', 1)]
