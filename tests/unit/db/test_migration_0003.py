"""Revision 0003 carries a database of the previous release over intact."""

import datetime

import pytest
import sqlalchemy as sa

from sora_api.db import claims as db_claims
from sora_api.db import engine
from sora_api.db import hosts as db_hosts
from sora_api.db import migration
from sora_api.db import quotas
from sora_api.db import schedules as db_schedules
from tests import pg
from tests.functional import server as sora_server

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


def _fill_release_0002(conn):
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


@pytest.fixture(params=['sqlite', 'postgresql'])
def empty_database(request, conf, tmp_path):
    """An empty SQLite file, or PostgreSQL database when the run has one."""
    conf.set_override('state_path', str(tmp_path))
    url = None
    if request.param == 'postgresql':
        if not sora_server.postgresql_url():
            pytest.skip('needs PostgreSQL: scripts/test.sh '
                        '--with-postgresql, or set SORA_TEST_DATABASE_URL')
        url = pg.create_database(sora_server.postgresql_url())
        conf.set_override('connection', url, group='database')
    db = engine.Database(conf)
    yield db
    db.engine.dispose()
    if url:
        pg.drop_database(url)


def test_upgrading_a_0002_database_keeps_hosts_and_counts_usage(
        empty_database):
    db = empty_database
    migration.upgrade(db.engine, '0002')
    with db.engine.begin() as conn:
        host_a, host_b = _fill_release_0002(conn)

    migration.upgrade(db.engine)

    assert migration.current_revision(db.engine) == migration.head_revision()
    assert migration.differences(db.engine) == []
    a = db_hosts.get(db, host_a)
    assert (a.vcpus_used, a.memory_mb_used, a.instances) == (6, 3072, 3)
    assert a.inventories == {} and a.custom_inventories == 0
    assert quotas.usage(db, 'p') == {'instances': 3, 'VCPU': 6,
                                     'MEMORY_MB': 3072, 'DISK_GB': 0}
    assert quotas.usage(db, 'q') == {'instances': 1, 'VCPU': 2,
                                     'MEMORY_MB': 1024, 'DISK_GB': 0}
    # A quota set after the upgrade counts what was already held...
    quotas.replace(db, 'p', {'instances': 4})
    request = {'resources': {'vcpus': 2}, 'num_instances': 1}
    db_claims.claim(db, 'p', 'u', request, [(host_b, 'b')])
    assert quotas.usage(db, 'p')['instances'] == 4
    # ...and releasing an old schedule gives its usage back.
    db_schedules.delete(db, 's-p')
    assert quotas.usage(db, 'p') == {'instances': 1, 'VCPU': 2,
                                     'MEMORY_MB': 0, 'DISK_GB': 0}
    assert db_hosts.get(db, host_a).vcpus_used == 2
