"""The Python client on resource classes, inventories, quotas and usage.

Tests share one server: each makes its own classes and availability zone,
and a quota test names only its own classes in the member's limits.
"""

import pytest

from sora_api.client import exceptions

STANDARD = {'VCPU', 'MEMORY_MB', 'DISK_GB'}


@pytest.fixture
def zone(unique):
    return unique('az-client-rc')


@pytest.fixture
def new_class(admin, unique):
    """Create a custom class of a fresh name; returns the name."""
    def _new():
        name = unique('CUSTOM_CLIENT').upper().replace('-', '_')
        assert admin.resource_classes.create(name) is True
        return name
    return _new


@pytest.fixture
def quota(admin):
    """The member's project; its own limits are dropped after the test."""
    project = 'project-a'
    yield project
    admin.quotas.delete(project)


def test_a_custom_class_is_created_listed_and_deleted(admin, member,
                                                      new_class):
    name = new_class()
    assert admin.resource_classes.create(name) is False
    listed = member.resource_classes.list()
    assert {'name': name, 'standard': False} in listed
    assert {c['name'] for c in listed if c['standard']} == STANDARD
    admin.resource_classes.delete(name)
    assert name not in {c['name'] for c in admin.resource_classes.list()}
    with pytest.raises(exceptions.NotFound):
        admin.resource_classes.delete(name)


@pytest.mark.parametrize('name', ['GPU', 'custom_gpu', 'CUSTOM_', 'VCPU'])
def test_only_custom_names_can_be_created(admin, name):
    with pytest.raises(exceptions.InvalidRequest):
        admin.resource_classes.create(name)


def test_a_standard_class_cannot_be_deleted(admin):
    with pytest.raises(exceptions.InvalidRequest):
        admin.resource_classes.delete('VCPU')
    assert 'VCPU' in {c['name'] for c in admin.resource_classes.list()}


def test_a_member_cannot_create_or_delete_classes(member, new_class):
    name = new_class()
    with pytest.raises(exceptions.Forbidden):
        member.resource_classes.create('CUSTOM_BY_A_MEMBER')
    with pytest.raises(exceptions.Forbidden):
        member.resource_classes.delete(name)


def test_a_host_carries_inventories_through_its_life(admin, make_host,
                                                     new_class):
    gpu, nvme = new_class(), new_class()
    host = make_host(vcpus=16, inventories={
        gpu: {'total': 4, 'max_unit': 2}})
    assert host['inventories'][gpu] == {
        'total': 4, 'reserved': 0, 'allocation_ratio': 1.0, 'max_unit': 2,
        'used': 0}
    assert host['inventories']['VCPU']['total'] == 16
    assert set(host['inventories']) == STANDARD | {gpu}

    host = admin.hosts.update(host['id'], inventories={
        nvme: {'total': 2, 'reserved': 1, 'allocation_ratio': 2.0}})
    assert host['inventories'][gpu]['total'] == 4
    assert host['inventories'][nvme] == {
        'total': 2, 'reserved': 1, 'allocation_ratio': 2.0, 'max_unit': 2,
        'used': 0}

    host = admin.hosts.update(host['id'], inventories={gpu: None})
    assert set(host['inventories']) == STANDARD | {nvme}
    assert admin.hosts.get(host['id'])['inventories'] == host['inventories']


@pytest.mark.parametrize('inventory', [
    {'total': 2, 'max_unit': 3}, {'total': -1}, {'total': 2, 'reserved': 3},
    {'total': 2, 'allocation_ratio': 0}, {'max_unit': 1},
])
def test_a_bad_inventory_is_an_invalid_request(admin, unique, new_class,
                                               inventory):
    name = new_class()
    with pytest.raises(exceptions.InvalidRequest):
        admin.hosts.create(unique(), 1, 1, 1,
                           inventories={name: inventory})


def test_an_inventory_of_a_class_not_created_is_an_invalid_request(
        admin, unique):
    with pytest.raises(exceptions.InvalidRequest) as caught:
        admin.hosts.create(unique(), 1, 1, 1, inventories={
            'CUSTOM_NEVER_CREATED': {'total': 1}})
    assert 'CUSTOM_NEVER_CREATED' in caught.value.detail


def test_a_class_with_inventories_is_in_use(admin, make_host, new_class):
    name = new_class()
    host = make_host(inventories={name: {'total': 1}})
    with pytest.raises(exceptions.InUse):
        admin.resource_classes.delete(name)
    admin.hosts.update(host['id'], inventories={name: None})
    admin.resource_classes.delete(name)


def test_a_schedule_takes_a_custom_class_from_the_host_that_has_it(
        admin, member, make_host, new_class, zone):
    gpu = new_class()
    make_host(availability_zone=zone, memory_mb=65536)
    gpu_host = make_host(availability_zone=zone, inventories={
        gpu: {'total': 2}})
    schedule = member.schedules.create({'vcpus': 1, gpu: 1},
                                       availability_zone=zone)
    assert [a['host_id'] for a in schedule['allocations']] == [
        gpu_host['id']]
    assert schedule['resources'][gpu] == 1
    assert admin.hosts.get(gpu_host['id'])['inventories'][gpu]['used'] == 1

    with pytest.raises(exceptions.InUse):
        admin.hosts.update(gpu_host['id'], inventories={gpu: None})
    with pytest.raises(exceptions.NoValidHost) as caught:
        member.schedules.create({gpu: 2}, availability_zone=zone)
    assert 'ResourcesFilter' in str(caught.value)

    member.schedules.delete(schedule['id'])
    assert admin.hosts.get(gpu_host['id'])['inventories'][gpu]['used'] == 0


def test_an_unknown_class_in_a_request_is_an_invalid_request(member):
    with pytest.raises(exceptions.InvalidRequest) as caught:
        member.schedules.dry_run({'vcpus': 1, 'CUSTOM_NEVER_CREATED': 1})
    assert 'CUSTOM_NEVER_CREATED' in caught.value.detail


def test_a_quota_limits_a_class_and_usage_counts_it(
        admin, member, make_host, new_class, quota, zone):
    gpu = new_class()
    make_host(availability_zone=zone, inventories={gpu: {'total': 4}})
    set_ = admin.quotas.update(quota, {gpu: 1, 'instances': -1})
    assert set_['project_id'] == quota
    assert (set_['limits'][gpu], set_['limits']['instances']) == (1, -1)
    assert member.quotas.get(quota)['limits'][gpu] == 1

    first = member.schedules.create({'vcpus': 1, gpu: 1},
                                    availability_zone=zone)
    with pytest.raises(exceptions.OverQuota) as caught:
        member.schedules.create({'vcpus': 1, gpu: 1}, availability_zone=zone)
    error = caught.value
    assert (error.status, error.code) == (403, 'sora.over_quota')
    assert isinstance(error, exceptions.Forbidden)
    assert gpu in error.detail

    usage = member.usages.get()
    assert usage['project_id'] == quota and usage[gpu] == 1
    assert usage['instances'] >= 1 and usage['VCPU'] >= 1
    assert admin.usages.get(quota)[gpu] == 1
    assert member.quotas.get(quota)['usage'][gpu] == 1
    every = {u['project_id']: u for u in admin.usages.list()}
    assert every[quota][gpu] == 1

    admin.quotas.delete(quota)
    assert gpu not in member.quotas.get(quota)['limits']
    second = member.schedules.create({'vcpus': 1, gpu: 1},
                                     availability_zone=zone)
    for schedule in (first, second):
        member.schedules.delete(schedule['id'])
    assert member.usages.get().get(gpu, 0) == 0


def test_a_member_reads_only_its_own_quota_and_usage(member):
    for call in (lambda: member.usages.get('project-b'),
                 member.usages.list,
                 lambda: member.quotas.get('project-b'),
                 lambda: member.quotas.update('project-a', {'VCPU': 1}),
                 lambda: member.quotas.delete('project-a')):
        with pytest.raises(exceptions.Forbidden):
            call()


def test_a_quota_for_an_unknown_class_is_an_invalid_request(admin, quota):
    with pytest.raises(exceptions.InvalidRequest) as caught:
        admin.quotas.update(quota, {'CUSTOM_NEVER_CREATED': 1})
    assert 'CUSTOM_NEVER_CREATED' in caught.value.detail
