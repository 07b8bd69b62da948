"""Host-change numbers: what each worker's host cache reads to catch up."""

import pytest

from sora_api import exception
from sora_api.db import claims as db_claims
from sora_api.db import hosts as db_hosts
from sora_api.db import resource_classes
from sora_api.db import schedules as db_schedules


def _host(db, name, **fields):
    values = {'name': name, 'availability_zone': 'nova', 'enabled': True,
              'vcpus': 8, 'memory_mb': 8192, 'disk_gb': 100,
              'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
              'disk_allocation_ratio': 1.0, 'reserved_vcpus': 0,
              'reserved_memory_mb': 0, 'reserved_disk_gb': 0, 'io_ops': 0,
              'traits': [], 'metadata': {}}
    values.update(fields)
    return db_hosts.create(db, values)


def test_a_fresh_reader_gets_every_host_with_attributes(db):
    a = _host(db, 'a', traits=['CUSTOM_SSD'], metadata={'k': 'v'})
    b = _host(db, 'b')
    changes = db_hosts.changes_since(db, -1)
    assert {r['id'] for r in changes.rows} == {a.id, b.id}
    assert changes.traits == {a.id: ['CUSTOM_SSD'], b.id: []}
    assert changes.metadata == {a.id: {'k': 'v'}, b.id: {}}
    assert changes.deleted == []
    assert db_hosts.changes_since(db, changes.seq) is None


def test_a_claim_reports_usage_but_not_attributes(db):
    host = _host(db, 'a')
    seq = db_hosts.changes_since(db, -1).seq
    db_claims.claim(db, 'p', 'u', {'resources': {'vcpus': 2}},
                       [(host.id, 'a')])
    changes = db_hosts.changes_since(db, seq)
    [row] = changes.rows
    assert row['id'] == host.id and row['vcpus_used'] == 2
    assert changes.traits == {} and changes.metadata == {}
    assert changes.seq > seq


def test_a_claim_that_is_the_next_change_moves_its_readers_cursor(db):
    host = _host(db, 'a')
    other = _host(db, 'b')
    seq = db_hosts.changes_since(db, -1).seq
    record = db_claims.claim(db, 'p', 'u', {'resources': {'vcpus': 2}},
                             [(host.id, 'a'), (host.id, 'a')])
    # A worker that counted the claim itself reads nothing for it...
    after = db_hosts.cursor_after(db, seq, record.host_change, host.id)
    assert after == db_hosts.changes_since(db, seq).seq
    assert db_hosts.changes_since(db, after) is None
    # ... and reads what others change next.
    db_claims.claim(db, 'p', 'u', {'resources': {'vcpus': 1}},
                    [(other.id, 'b')])
    assert [r['id'] for r in db_hosts.changes_since(db, after).rows] == [
        other.id]
    # Past a change it has not read, the cursor cannot move.
    third = db_claims.claim(db, 'p', 'u', {'resources': {'vcpus': 1}},
                            [(host.id, 'a')])
    assert db_hosts.cursor_after(db, after, third.host_change,
                                 host.id) is None


def test_updates_heartbeats_deletes_and_releases_are_all_seen(db):
    host = _host(db, 'a')
    other = _host(db, 'b')
    seq = db_hosts.changes_since(db, -1).seq
    db_hosts.update(db, host.id, {'traits': ['CUSTOM_GPU']})
    changes = db_hosts.changes_since(db, seq)
    assert [r['id'] for r in changes.rows] == [host.id]
    assert changes.traits == {host.id: ['CUSTOM_GPU']}
    seq = changes.seq
    db_hosts.heartbeat(db, host.id, io_ops=3)
    changes = db_hosts.changes_since(db, seq)
    assert [(r['id'], r['io_ops']) for r in changes.rows] == [(host.id, 3)]
    assert changes.rows[0]['last_heartbeat'] is not None
    seq = changes.seq
    record = db_claims.claim(db, 'p', 'u', {'resources': {'vcpus': 1}},
                                [(host.id, 'a')])
    seq = db_hosts.changes_since(db, seq).seq
    db_schedules.delete(db, record.id)
    changes = db_hosts.changes_since(db, seq)
    assert [(r['id'], r['vcpus_used']) for r in changes.rows] == [
        (host.id, 0)]
    seq = changes.seq
    db_hosts.delete(db, other.id)
    changes = db_hosts.changes_since(db, seq)
    assert changes.rows == [] and changes.deleted == [other.id]


def test_a_refused_write_takes_no_change_number(db):
    host = _host(db, 'a', vcpus=1)
    seq = db_hosts.changes_since(db, -1).seq
    with pytest.raises(exception.ClaimConflict):
        db_claims.claim(db, 'p', 'u', {'resources': {'vcpus': 5}},
                           [(host.id, 'a')])
    assert db_hosts.changes_since(db, seq) is None


def test_inventories_come_with_the_hosts_that_have_them(db):
    resource_classes.create(db, 'CUSTOM_GPU')
    inventory = {'total': 4, 'reserved': 0, 'allocation_ratio': 1.0,
                 'max_unit': 2}
    gpu = _host(db, 'gpu', inventories={'CUSTOM_GPU': inventory})
    plain = _host(db, 'plain')
    changes = db_hosts.changes_since(db, -1)
    assert changes.inventories == {
        gpu.id: {'CUSTOM_GPU': dict(inventory, used=0)}, plain.id: {}}
    # A claim on both: only the host with inventories costs a read of them.
    seq = changes.seq
    db_claims.claim(db, 'p', 'u', {'resources': {'vcpus': 1}},
                       [(plain.id, 'plain')])
    db_claims.claim(db, 'p', 'u', {'resources': {'CUSTOM_GPU': 2}},
                       [(gpu.id, 'gpu')])
    changes = db_hosts.changes_since(db, seq)
    assert {r['id'] for r in changes.rows} == {gpu.id, plain.id}
    assert changes.inventories == {
        gpu.id: {'CUSTOM_GPU': dict(inventory, used=2)}}
    # Removing the last inventory is an attribute change: seen as empty.
    seq = changes.seq
    with pytest.raises(exception.HostInUse):
        db_hosts.update(db, gpu.id, {'inventories': {'CUSTOM_GPU': None}})
    db_hosts.update(db, plain.id, {'inventories': {'CUSTOM_GPU': None}})
    changes = db_hosts.changes_since(db, seq)
    assert changes.inventories == {plain.id: {}}
