"""The atomic claim of ``sora_api.db.claims`` on a real SQLite file
and, when the run has one, PostgreSQL (where a claim without a group is
one message, ``sora_api/db/together.py``)."""

import pytest
import sqlalchemy as sa

from sora_api import exception
from sora_api.db import claims as db_claims
from sora_api.db import groups as db_groups
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from sora_api.db import schedules as db_schedules

USAGE = ('vcpus_used', 'memory_mb_used', 'disk_gb_used', 'instances')


@pytest.fixture
def db(migrated_database):
    return migrated_database


@pytest.fixture
def make_host(db):
    """A host of 8 vCPUs, 8192 MB, 100 GB with ratios 1.0 and no reserve."""
    counter = iter(range(1000))

    def _make(**fields):
        values = {'name': 'host%d' % next(counter),
                  'availability_zone': 'nova', 'enabled': True,
                  'vcpus': 8, 'memory_mb': 8192, 'disk_gb': 100,
                  'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
                  'disk_allocation_ratio': 1.0, 'reserved_vcpus': 0,
                  'reserved_memory_mb': 0, 'reserved_disk_gb': 0,
                  'io_ops': 0}
        values.update(fields)
        return db_hosts.create(db, values).id
    return _make


def request(vcpus=2, memory_mb=1024, disk_gb=10, num_instances=1):
    return {'resources': {'vcpus': vcpus, 'memory_mb': memory_mb,
                         'disk_gb': disk_gb},
            'num_instances': num_instances}


def claim(db, project_id, user_id, req, host_ids, **kwargs):
    """``db_claims.claim`` of hosts given by id, with their real names."""
    hosts = [(h, db_hosts.get(db, h).name) for h in host_ids]
    return db_claims.claim(db, project_id, user_id, req, hosts, **kwargs)


def counters(db, host_id):
    with db.reader() as session:
        host = session.get(models.Host, host_id)
        return {field: getattr(host, field) for field in USAGE}


def allocation_sums(db, host_id):
    """The host's usage as the sum of its allocation rows."""
    A = models.Allocation
    with db.reader() as session:
        vcpus, memory_mb, disk_gb, count = session.execute(
            sa.select(sa.func.coalesce(sa.func.sum(A.vcpus), 0),
                      sa.func.coalesce(sa.func.sum(A.memory_mb), 0),
                      sa.func.coalesce(sa.func.sum(A.disk_gb), 0),
                      sa.func.count())
            .where(A.host_id == host_id)).one()
    return {'vcpus_used': vcpus, 'memory_mb_used': memory_mb,
            'disk_gb_used': disk_gb, 'instances': count}


def row_counts(db):
    with db.reader() as session:
        return {model.__tablename__: session.scalar(
                    sa.select(sa.func.count()).select_from(model))
                for model in (models.Schedule, models.Allocation,
                              models.ScheduleGroup, models.IdempotencyKey)}


def test_a_claim_stores_the_schedule_and_counters_equal_its_allocations(
        db, make_host):
    first, second = make_host(), make_host()
    schedule = claim(db, 'p', 'u', request(num_instances=3),
                                  [first, second, first])
    assert [(a.instance_index, a.host_id) for a in schedule.allocations] == [
        (0, first), (1, second), (2, first)]
    assert counters(db, first) == {'vcpus_used': 4, 'memory_mb_used': 2048,
                                   'disk_gb_used': 20, 'instances': 2}
    assert counters(db, second) == {'vcpus_used': 2, 'memory_mb_used': 1024,
                                    'disk_gb_used': 10, 'instances': 1}
    for host_id in (first, second):
        assert counters(db, host_id) == allocation_sums(db, host_id)
    assert db_schedules.get(db, schedule.id).project_id == 'p'


def test_a_claim_that_fills_a_host_exactly_succeeds(db, make_host):
    host = make_host(vcpus=10, reserved_vcpus=2)
    claim(db, 'p', 'u', request(vcpus=4, num_instances=2),
                       [host, host])
    assert counters(db, host)['vcpus_used'] == 8


def test_a_claim_that_does_not_fit_raises_and_writes_nothing(db, make_host):
    roomy, full = make_host(), make_host(vcpus=4)
    claim(db, 'p', 'u', request(vcpus=2), [full])
    before = row_counts(db)
    with pytest.raises(exception.ClaimConflict):
        # The roomy host is claimed first (ids are sorted) and must be
        # rolled back when the second host has no room.
        claim(db, 'p', 'u', request(vcpus=2, num_instances=3),
                           [roomy, full, full],
                           idempotency=('key', 'hash'))
    assert row_counts(db) == before
    assert counters(db, roomy) == dict.fromkeys(USAGE, 0)
    assert counters(db, full) == {'vcpus_used': 2, 'memory_mb_used': 1024,
                                  'disk_gb_used': 10, 'instances': 1}
    assert db_claims.find_idempotent(db, 'p', 'key') is None


def test_no_instance_lands_on_a_host_disabled_after_it_was_chosen(
        db, make_host):
    """A request that chose the host before a drain disabled it loses the
    claim (and places again); nothing is written."""
    host = make_host()
    db_hosts.update(db, host, {'enabled': False,
                               'disabled_reason': 'draining'})
    before = row_counts(db)
    with pytest.raises(exception.ClaimConflict):
        claim(db, 'p', 'u', request(), [host])
    assert row_counts(db) == before
    assert counters(db, host) == dict.fromkeys(USAGE, 0)


def test_ratio_and_reserve_decide_whether_a_claim_fits(db, make_host):
    host = make_host(vcpus=4, cpu_allocation_ratio=2.0, reserved_vcpus=1)
    claim(db, 'p', 'u', request(vcpus=7), [host])
    with pytest.raises(exception.ClaimConflict):
        claim(db, 'p', 'u', request(vcpus=1), [host])
    assert counters(db, host)['vcpus_used'] == 7


def test_a_resource_not_asked_for_is_not_checked(db, make_host):
    # Memory is already over-used (an operator shrank the host); a request
    # that asks for no memory still fits on vCPUs.
    host = make_host(memory_mb=0)
    claim(db, 'p', 'u', request(memory_mb=0), [host])
    assert counters(db, host)['instances'] == 1


def test_a_stale_group_generation_raises_and_writes_nothing(db, make_host):
    host = make_host()
    generation, members = db_groups.group_snapshot(db, 'p', 'web')[:2]
    assert (generation, members) == (None, {})
    claim(db, 'p', 'u', request(), [host], group='web',
                       group_generation=generation)
    fresh, members = db_groups.group_snapshot(db, 'p', 'web')[:2]
    assert members == {host: 1}
    before = row_counts(db)
    usage = counters(db, host)
    # A request that read the group before the first claim loses.
    with pytest.raises(exception.ClaimConflict):
        claim(db, 'p', 'u', request(), [host], group='web',
                           group_generation=generation)
    with pytest.raises(exception.ClaimConflict):
        claim(db, 'p', 'u', request(), [host], group='web',
                           group_generation=fresh - 1)
    assert row_counts(db) == before
    assert counters(db, host) == usage
    # With the generation and members it read last, it wins.
    claim(db, 'p', 'u', request(), [host], group='web',
                       group_generation=fresh, group_members=members)
    assert db_groups.group_snapshot(db, 'p', 'web')[:2] == (fresh + 1,
                                                         {host: 2})


def test_a_groups_row_is_deleted_with_its_last_schedule(db, make_host):
    host = make_host()
    first = claim(db, 'p', 'u', request(), [host], group='web')
    generation, members = db_groups.group_snapshot(db, 'p', 'web')[:2]
    second = claim(db, 'p', 'u', request(), [host], group='web',
                   group_generation=generation, group_members=members)
    db_schedules.delete(db, first.id)
    assert db_groups.group_snapshot(db, 'p', 'web')[:2] == (2, {host: 1})
    db_schedules.delete(db, second.id)
    assert db_groups.group_snapshot(db, 'p', 'web')[:2] == (None, {})
    assert row_counts(db)['schedule_groups'] == 0


def test_a_group_made_again_does_not_let_a_stale_claim_win(db, make_host):
    """ABA: the row is dropped and made again, its generation counts up to
    the one a slow request read; that request must still lose."""
    one, two = make_host(), make_host()
    old = claim(db, 'p', 'u', request(), [one], group='web')
    # A slow anti-affine request reads the group (one member, on ``one``)
    # and picks ``two``...
    stale_generation, stale_members = db_groups.group_snapshot(
        db, 'p', 'web')[:2]
    assert (stale_generation, stale_members) == (1, {one: 1})
    # ...meanwhile the member goes, the row with it, and a new member
    # lands on ``two``: the new row is at generation 1 again.
    db_schedules.delete(db, old.id)
    claim(db, 'p', 'u', request(), [two], group='web')
    assert db_groups.group_snapshot(db, 'p', 'web')[:2] == (1, {two: 1})
    before = row_counts(db)
    with pytest.raises(exception.ClaimConflict):
        claim(db, 'p', 'u', request(), [two], group='web',
              group_generation=stale_generation,
              group_members=stale_members)
    assert row_counts(db) == before
    assert counters(db, two)['instances'] == 1


def test_groups_of_the_same_name_in_two_projects_are_independent(
        db, make_host):
    host = make_host()
    claim(db, 'p', 'u', request(), [host], group='web')
    claim(db, 'q', 'u', request(), [host], group='web')
    assert db_groups.group_snapshot(db, 'p', 'web')[:2][1] == {host: 1}
    assert db_groups.group_snapshot(db, 'q', 'web')[1] == {host: 1}


def test_a_taken_idempotency_key_raises_and_writes_nothing(db, make_host):
    host = make_host()
    first = claim(db, 'p', 'u', request(), [host],
                               idempotency=('key', 'hash'))
    before = row_counts(db)
    with pytest.raises(exception.IdempotencyKeyTaken):
        claim(db, 'p', 'u', request(), [host],
                           idempotency=('key', 'hash'))
    assert row_counts(db) == before
    assert counters(db, host)['instances'] == 1
    assert db_claims.find_idempotent(db, 'p', 'key') == ('hash', first.id)
    # The same key in another project is another key.
    claim(db, 'q', 'u', request(), [host],
                       idempotency=('key', 'hash'))


def test_a_refused_claim_hands_its_connection_back_at_rest(db, make_host):
    """A refusal ends the claim's transaction before its connection goes
    back to the pool (on PostgreSQL the message began it, not psycopg2),
    and the connection stays in the pool: the next claim runs on it."""
    host = make_host(vcpus=2)
    claim(db, 'p', 'u', request(vcpus=1), [host], idempotency=('key', 'h'))
    refusals = [
        (exception.ClaimConflict, dict(req=request(vcpus=2))),
        (exception.IdempotencyKeyTaken,
         dict(req=request(vcpus=1), idempotency=('key', 'h'))),
    ]
    for error, kwargs in refusals:
        before = row_counts(db)
        with pytest.raises(error):
            claim(db, 'p', 'u', kwargs.pop('req'), [host], **kwargs)
        assert row_counts(db) == before
        assert db.engine.pool.checkedin() == 1
    claim(db, 'p', 'u', request(vcpus=1), [host])
    assert counters(db, host)['vcpus_used'] == 2
    assert db.engine.pool.checkedin() == 1


def test_delete_releases_the_counters_and_the_rows(db, make_host):
    first, second = make_host(), make_host()
    kept = claim(db, 'p', 'u', request(vcpus=1), [first])
    gone = claim(db, 'p', 'u', request(num_instances=3),
                              [first, second, second],
                              idempotency=('key', 'hash'))
    db_schedules.delete(db, gone.id)
    assert counters(db, first) == {'vcpus_used': 1, 'memory_mb_used': 1024,
                                   'disk_gb_used': 10, 'instances': 1}
    assert counters(db, second) == dict.fromkeys(USAGE, 0)
    for host_id in (first, second):
        assert counters(db, host_id) == allocation_sums(db, host_id)
    with pytest.raises(exception.ScheduleNotFound):
        db_schedules.get(db, gone.id)
    assert db_claims.find_idempotent(db, 'p', 'key') is None
    with pytest.raises(exception.ScheduleNotFound):
        db_schedules.delete(db, gone.id)
    assert db_schedules.get(db, kept.id).id == kept.id


def test_delete_of_another_projects_schedule_is_not_found(db, make_host):
    host = make_host()
    schedule = claim(db, 'p', 'u', request(), [host])
    with pytest.raises(exception.ScheduleNotFound):
        db_schedules.delete(db, schedule.id, project_id='q')
    assert counters(db, host)['instances'] == 1
