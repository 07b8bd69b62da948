"""Claims of custom classes and the quota check, on a real SQLite file
and, when the run has one, PostgreSQL (where a claim without a group is
one message, ``sora_api/db/together.py``)."""

import pytest
import sqlalchemy as sa

from sora_api import exception
from sora_api.db import claims as db_claims
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from sora_api.db import quotas
from sora_api.db import resource_classes
from sora_api.db import schedules as db_schedules

GPU = 'CUSTOM_GPU_A100'


@pytest.fixture
def db(migrated_database):
    return migrated_database


@pytest.fixture
def make_host(db):
    """A host of 8 vCPUs with ``gpus`` A100s (max_unit ``max_unit``)."""
    resource_classes.create(db, GPU)
    counter = iter(range(1000))

    def _make(gpus=4, max_unit=None, reserved=0, ratio=1.0, **fields):
        values = {'name': 'host%d' % next(counter),
                  'availability_zone': 'nova', 'enabled': True,
                  'vcpus': 8, 'memory_mb': 8192, 'disk_gb': 100,
                  'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0,
                  'disk_allocation_ratio': 1.0, 'io_ops': 0,
                  'inventories': {GPU: {
                      'total': gpus, 'reserved': reserved,
                      'allocation_ratio': ratio,
                      'max_unit': gpus if max_unit is None else max_unit}}}
        values.update(fields)
        return db_hosts.create(db, values).id
    return _make


def claim(db, host_ids, gpus=1, vcpus=1, project='p', **kwargs):
    hosts = [(h, db_hosts.get(db, h).name) for h in host_ids]
    request = {'resources': {'vcpus': vcpus, GPU: gpus},
               'num_instances': len(hosts)}
    return db_claims.claim(db, project, 'u', request, hosts, **kwargs)


def gpus_used(db, host_id):
    return db_hosts.get(db, host_id).inventories[GPU]['used']


def allocated(db, host_id):
    """The host's GPUs as the sum of its custom allocation rows."""
    CA = models.CustomAllocation
    with db.reader() as session:
        return session.scalar(sa.select(
            sa.func.coalesce(sa.func.sum(CA.amount), 0)).where(
            CA.host_id == host_id, CA.resource_class == GPU))


def test_a_claim_takes_custom_classes_with_the_standard_ones(db, make_host):
    host = make_host(gpus=4)
    schedule = claim(db, [host, host], gpus=2)
    assert gpus_used(db, host) == 4 == allocated(db, host)
    assert db_hosts.get(db, host).vcpus_used == 2
    db_schedules.delete(db, schedule.id)
    assert gpus_used(db, host) == 0 == allocated(db, host)
    assert quotas.usage(db, 'p')['instances'] == 0


def test_a_custom_class_without_room_rolls_everything_back(db, make_host):
    roomy, full = make_host(gpus=4), make_host(gpus=1)
    claim(db, [full])
    with pytest.raises(exception.ClaimConflict):
        claim(db, sorted([roomy, full]))
    assert gpus_used(db, roomy) == 0
    assert db_hosts.get(db, roomy).vcpus_used == 0
    assert gpus_used(db, full) == 1
    assert quotas.usage(db, 'p')['instances'] == 1


def test_ratio_and_reserve_decide_a_custom_claim(db, make_host):
    host = make_host(gpus=4, reserved=1, ratio=2.0)  # usable 7
    claim(db, [host], gpus=4)
    claim(db, [host], gpus=3)
    with pytest.raises(exception.ClaimConflict):
        claim(db, [host], gpus=1)
    assert gpus_used(db, host) == 7


def test_max_unit_caps_what_one_instance_takes(db, make_host):
    host = make_host(gpus=4, max_unit=2)
    with pytest.raises(exception.ClaimConflict):
        claim(db, [host], gpus=3)
    # Two instances of 2 on one host: each within max_unit.
    claim(db, [host, host], gpus=2)
    assert gpus_used(db, host) == 4


def test_a_host_without_the_class_has_none(db, make_host):
    plain = make_host(inventories={})
    with pytest.raises(exception.ClaimConflict):
        claim(db, [plain])


def test_usage_counts_every_class_and_instances(db, make_host):
    host = make_host(gpus=4)
    claim(db, [host, host], gpus=1, vcpus=2)
    assert quotas.usage(db, 'p') == {'instances': 2, 'VCPU': 4,
                                     'MEMORY_MB': 0, 'DISK_GB': 0, GPU: 2}


def test_a_claim_past_a_project_limit_is_refused_whole(db, make_host):
    host = make_host(gpus=4)
    quotas.replace(db, 'p', {GPU: 3})
    claim(db, [host, host], quota_limits={})
    with pytest.raises(exception.OverQuota) as error:
        claim(db, [host, host], quota_limits={})
    message = str(error.value)
    assert GPU in message and 'limit 3' in message
    assert 'usage 2' in message and 'asked 2' in message
    assert gpus_used(db, host) == 2
    assert quotas.usage(db, 'p')['instances'] == 2
    claim(db, [host], quota_limits={})
    assert quotas.usage(db, 'p')[GPU] == 3


def test_a_default_limit_applies_to_projects_without_their_own(db, make_host):
    host = make_host(gpus=4)
    defaults = {'instances': 1, 'VCPU': -1, 'MEMORY_MB': -1, 'DISK_GB': -1}
    claim(db, [host], quota_limits=defaults)
    with pytest.raises(exception.OverQuota) as error:
        claim(db, [host], quota_limits=defaults)
    assert 'instances' in str(error.value)
    # Another project has its own room; a project's own limit wins.
    claim(db, [host], project='q', quota_limits=defaults)
    quotas.replace(db, 'p', {'instances': -1})
    claim(db, [host], quota_limits=defaults)


def test_a_limit_below_usage_refuses_new_claims_until_usage_drops(
        db, make_host):
    host = make_host(gpus=4)
    first = claim(db, [host, host])
    quotas.replace(db, 'p', {'instances': 1})
    with pytest.raises(exception.OverQuota):
        claim(db, [host])
    db_schedules.delete(db, first.id)
    claim(db, [host])
    assert quotas.usage(db, 'p')['instances'] == 1


def test_limited_usage_reads_only_what_a_limit_applies_to(db, make_host):
    host = make_host(gpus=8)
    claim(db, [host, host], gpus=1)
    # No limit: nothing to read, nothing tracked.
    assert quotas.limited_usage(db, 'p', {}) == ({}, {})
    # An own limit: its row, exact.
    quotas.replace(db, 'p', {GPU: 5})
    assert quotas.limited_usage(db, 'p', {}) == ({GPU: 5}, {GPU: 2})
    # A default the project never claimed under has no row yet: the sum
    # of the allocations stands in.
    limits, usage = quotas.limited_usage(db, 'p', {'VCPU': 10})
    assert limits == {GPU: 5, 'VCPU': 10}
    assert (usage[GPU], usage['VCPU']) == (2, 2)
    with pytest.raises(exception.OverQuota) as refused:
        claim(db, [host], gpus=4, quota_limits={'VCPU': 10})
    assert (refused.value.kwargs['usage'], refused.value.kwargs['asked']) == (
        2, 4)
