"""Holds in ``sora_api.db.holds``: confirm and expiry on a real SQLite file."""

import datetime

import pytest
import sqlalchemy as sa

from sora_api import exception
from sora_api import timeutils
from sora_api.db import holds
from sora_api.db import hosts as db_hosts
from sora_api.db import quotas
from sora_api.db import schedules as db_schedules
from tests.unit.db.test_claims import USAGE
from tests.unit.db.test_claims import claim
from tests.unit.db.test_claims import counters
from tests.unit.db.test_claims import request

FREE = dict.fromkeys(USAGE, 0)


@pytest.fixture
def host(db):
    """A host of 8 vCPUs, 8192 MB, 100 GB with ratios 1.0 and no reserve."""
    return db_hosts.create(db, {
        'name': 'host', 'availability_zone': 'nova', 'enabled': True,
        'vcpus': 8, 'memory_mb': 8192, 'disk_gb': 100,
        'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
        'disk_allocation_ratio': 1.0, 'reserved_vcpus': 0,
        'reserved_memory_mb': 0, 'reserved_disk_gb': 0, 'io_ops': 0}).id


def held(db, host_id, seconds=60):
    return claim(db, 'p', 'u', dict(request(), hold_seconds=seconds),
                 [host_id])


def later(seconds):
    return timeutils.utcnow() + datetime.timedelta(seconds=seconds)


def test_a_hold_is_held_until_now_plus_its_seconds(db, host):
    schedule = held(db, host, 60)
    assert schedule.status == 'held'
    assert schedule.expires_at - schedule.created_at == datetime.timedelta(
        seconds=60)
    stored = db_schedules.get(db, schedule.id)
    assert (stored.status, stored.generation) == ('held', 1)


def test_nothing_expires_before_its_time(db, host):
    schedule = held(db, host)
    assert holds.expire_due(db) == 0
    assert db_schedules.get(db, schedule.id).status == 'held'
    assert counters(db, host)['vcpus_used'] == 2


def test_expiry_releases_host_and_quota_once(db, host):
    schedule = held(db, host)
    assert holds.expire_due(db, now=later(61)) == 1
    assert holds.expire_due(db, now=later(61)) == 0
    stored = db_schedules.get(db, schedule.id)
    assert (stored.status, stored.allocations) == ('expired', [])
    assert stored.generation == 2
    assert counters(db, host) == FREE
    assert quotas.usage(db, 'p') == {'instances': 0, 'VCPU': 0,
                                     'MEMORY_MB': 0, 'DISK_GB': 0}


def test_confirm_makes_it_active_for_good(db, host):
    schedule = held(db, host)
    confirmed = holds.confirm(db, schedule.id)
    assert (confirmed.status, confirmed.expires_at) == ('active', None)
    assert confirmed.generation == 2
    assert holds.expire_due(db, now=later(3600)) == 0
    assert counters(db, host)['vcpus_used'] == 2


def test_confirming_twice_is_a_status_conflict(db, host):
    schedule = held(db, host)
    holds.confirm(db, schedule.id)
    with pytest.raises(exception.ScheduleStatusConflict):
        holds.confirm(db, schedule.id)


def test_confirming_an_expired_hold_is_hold_expired(db, host):
    schedule = held(db, host)
    holds.expire_due(db, now=later(61))
    with pytest.raises(exception.HoldExpired):
        holds.confirm(db, schedule.id)
    assert counters(db, host) == FREE


def test_confirming_a_due_hold_expires_it_instead(db, host):
    schedule = held(db, host, seconds=1)
    with pytest.raises(exception.HoldExpired):
        holds.confirm(db, schedule.id, now=later(2))
    assert db_schedules.get(db, schedule.id).status == 'expired'
    assert counters(db, host) == FREE


def test_a_stale_generation_confirms_nothing(db, host):
    schedule = held(db, host)
    with pytest.raises(exception.ScheduleGenerationConflict):
        holds.confirm(db, schedule.id, generations={7})
    assert db_schedules.get(db, schedule.id).status == 'held'


def test_deleting_an_expired_hold_releases_nothing_more(db, host):
    other = claim(db, 'p', 'u', request(), [host])
    schedule = held(db, host)
    holds.expire_due(db, now=later(61))
    db_schedules.delete(db, schedule.id)
    assert counters(db, host)['vcpus_used'] == 2
    db_schedules.delete(db, other.id)
    assert counters(db, host) == FREE


def _looks(db):
    """A list that gains an entry each time the database is asked for the
    holds that end first."""
    looks = []

    @sa.event.listens_for(db.engine, 'before_cursor_execute')
    def _count(conn, cursor, statement, *args):
        if 'ORDER BY schedules.expires_at' in statement:
            looks.append(statement)
    return looks


def test_expiry_looks_again_only_when_a_hold_may_be_due(db, host):
    schedule = held(db, host, 60)
    looks = _looks(db)
    now = timeutils.utcnow()
    assert holds.expire_due(db, now=now) == 0
    # Nothing can be due within half a second: no look.
    assert holds.expire_due(db, now=now + datetime.timedelta(
        seconds=0.4)) == 0
    assert len(looks) == 1
    # A hold created since the look may end a second after it: look again.
    assert holds.expire_due(db, now=now + datetime.timedelta(
        seconds=0.5)) == 0
    assert len(looks) == 2
    # The hold seen ends at its time, however long the quiet lasted.
    assert holds.expire_due(db, now=schedule.expires_at) == 1
    assert db_schedules.get(db, schedule.id).status == 'expired'


def test_a_hold_created_after_a_look_expires_at_its_time(db, host):
    assert holds.expire_due(db) == 0
    schedule = held(db, host, 1)
    assert holds.expire_due(db, now=schedule.expires_at) == 1
    assert counters(db, host) == FREE
