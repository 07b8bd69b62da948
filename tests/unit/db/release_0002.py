"""A database of an earlier revision holding what release 0002 stored
(hosts and live schedules), upgraded to head for the upgrade tests."""

import datetime

import sqlalchemy as sa

from sora_api.db import migration

NOW = datetime.datetime(2026, 11, 20, 12, 0, 0)


def _host(host_id, name, vcpus_used, memory_mb_used, instances):
    return {'id': host_id, 'name': name, 'availability_zone': 'nova',
            'enabled': True, 'vcpus': 16, 'memory_mb': 65536, 'disk_gb': 500,
            'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
            'disk_allocation_ratio': 1.0, 'reserved_vcpus': 0,
            'reserved_memory_mb': 0, 'reserved_disk_gb': 0,
            'vcpus_used': vcpus_used, 'memory_mb_used': memory_mb_used,
            'disk_gb_used': 0, 'instances': instances, 'io_ops': 0,
            'generation': 3, 'change_seq': 0, 'attrs_seq': 0,
            'created_at': NOW, 'updated_at': NOW}


def fill(conn):
    """Hosts and live schedules written as revision 0002 stores them."""
    meta = sa.MetaData()
    meta.reflect(conn)
    hosts, schedules, allocations = (meta.tables[t] for t in (
        'hosts', 'schedules', 'allocations'))
    host_a = '00000000-0000-0000-0000-00000000000a'
    host_b = '00000000-0000-0000-0000-00000000000b'
    conn.execute(sa.insert(hosts), [_host(host_a, 'a', 6, 3072, 3),
                                    _host(host_b, 'b', 2, 1024, 1)])
    # Project p: one schedule of 3 instances of 2 vCPU / 1024 MB over both
    # hosts; project q: one instance of 2 vCPU / 1024 MB.
    for schedule_id, project, placed in (
            ('s-p', 'p', [host_a, host_a, host_b]), ('s-q', 'q', [host_a])):
        conn.execute(sa.insert(schedules).values(
            id=schedule_id, project_id=project, user_id='u', status='active',
            request={'resources': {'vcpus': 2, 'memory_mb': 1024},
                     'num_instances': len(placed)},
            created_at=NOW, updated_at=NOW))
        conn.execute(sa.insert(allocations), [
            {'schedule_id': schedule_id, 'instance_index': i, 'host_id': h,
             'vcpus': 2, 'memory_mb': 1024, 'disk_gb': 0}
            for i, h in enumerate(placed)])
    return host_a, host_b


def upgrade_from(db, revision):
    """Fill ``db`` at ``revision`` as release 0002 did, upgrade it to head
    and check its schema is head's; returns the ids of hosts a and b."""
    migration.upgrade(db.engine, revision)
    with db.engine.begin() as conn:
        host_a, host_b = fill(conn)

    migration.upgrade(db.engine)

    assert migration.current_revision(db.engine) == migration.head_revision()
    assert migration.differences(db.engine) == []
    return host_a, host_b
