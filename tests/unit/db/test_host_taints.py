"""Host taints and dedicated projects: stored, read back, and seen by host
caches when they change."""

from sora_api.db import hosts as db_hosts

GPU = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}
SPOT = {'key': 'spot', 'value': '', 'effect': 'PreferNoSchedule'}


def _host(db, name, **fields):
    values = {'name': name, 'availability_zone': 'nova', 'enabled': True,
              'vcpus': 8, 'memory_mb': 8192, 'disk_gb': 100,
              'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
              'disk_allocation_ratio': 1.0, 'traits': [], 'metadata': {}}
    values.update(fields)
    return db_hosts.create(db, values)


def test_taints_and_projects_are_stored_and_read_back(db):
    host = _host(db, 'a', taints=[SPOT, GPU], projects=['p2', 'p1'])
    assert host.taints == [GPU, SPOT]
    assert host.projects == ['p1', 'p2']
    again = db_hosts.get(db, host.id)
    assert again.taints == [GPU, SPOT] and again.projects == ['p1', 'p2']
    plain = _host(db, 'b')
    assert (plain.taints, plain.projects) == ([], [])
    [listed_a, listed_b] = sorted(db_hosts.list_hosts(db, 10),
                                  key=lambda h: h.name)
    assert listed_a.taints == [GPU, SPOT] and listed_b.projects == []


def test_an_update_replaces_only_what_it_gives(db):
    host = _host(db, 'a', taints=[GPU], projects=['p1'])
    after = db_hosts.update(db, host.id, {'projects': ['p3']})
    assert after.taints == [GPU] and after.projects == ['p3']
    after = db_hosts.update(db, host.id, {'taints': []})
    assert after.taints == [] and after.projects == ['p3']


def test_host_caches_see_taints_and_projects_change(db):
    host = _host(db, 'a', taints=[GPU])
    other = _host(db, 'b')
    changes = db_hosts.changes_since(db, -1)
    assert changes.taints == {host.id: [GPU], other.id: []}
    assert changes.projects == {host.id: [], other.id: []}
    db_hosts.update(db, other.id, {'projects': ['p1'], 'taints': [SPOT]})
    changes = db_hosts.changes_since(db, changes.seq)
    assert [r['id'] for r in changes.rows] == [other.id]
    assert changes.taints == {other.id: [SPOT]}
    assert changes.projects == {other.id: ['p1']}


def test_deleting_a_host_deletes_its_taints_and_projects(db):
    host = _host(db, 'a', taints=[GPU], projects=['p1'])
    db_hosts.delete(db, host.id)
    with db.connection() as conn:
        assert conn.execute(db_hosts.TAINTS.select()).all() == []
        assert conn.execute(db_hosts.PROJECTS.select()).all() == []
