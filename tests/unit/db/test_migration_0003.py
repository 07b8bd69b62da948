"""Revision 0003 carries a database of the previous release over intact."""

from sora_api.db import claims as db_claims
from sora_api.db import hosts as db_hosts
from sora_api.db import quotas
from sora_api.db import schedules as db_schedules
from tests.unit.db import release_0002


def test_upgrading_a_0002_database_keeps_hosts_and_counts_usage(
        empty_database):
    db = empty_database
    host_a, host_b = release_0002.upgrade_from(db, '0002')
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
