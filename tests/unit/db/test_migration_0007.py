"""Revision 0007_taints carries a 0006 database over intact: its hosts
get no taints and no projects, and take every request as before."""

from sora_api.db import hosts as db_hosts
from sora_api.db import schedules as db_schedules
from tests.unit.db import release_0002


def test_upgrading_a_0006_database_keeps_hosts_without_taints(
        empty_database):
    db = empty_database
    host_a, host_b = release_0002.upgrade_from(db, '0006_changes')
    a = db_hosts.get(db, host_a)
    assert (a.vcpus_used, a.instances) == (6, 3)
    assert (a.taints, a.projects) == ([], [])
    changes = db_hosts.changes_since(db, -1)
    assert changes.taints == {host_a: [], host_b: []}
    assert changes.projects == {host_a: [], host_b: []}
    # The new fields are written and read on the upgraded database.
    taint = {'key': 'gpu', 'value': '', 'effect': 'NoSchedule'}
    b = db_hosts.update(db, host_b, {'taints': [taint],
                                     'projects': ['p']})
    assert (b.taints, b.projects) == ([taint], ['p'])
    db_schedules.delete(db, 's-q')
    assert db_hosts.get(db, host_a).instances == 2

