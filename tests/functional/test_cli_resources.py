"""``sora resource-class``, ``--inventory``, ``quota`` and ``usage`` commands
against a real ``sora-api``.

Tests share one server, so each makes its own classes and zone, and a
quota test names only its own classes in the member's limits.
"""

import json

import pytest

from tests.functional.test_cli import failure
from tests.functional.test_cli import sora
from tests.functional.test_cli import sora_json

COMMANDS = ['resource-class list', 'resource-class create',
            'resource-class delete', 'quota show', 'quota set',
            'quota delete', 'usage show']


@pytest.fixture
def zone(unique):
    return unique('az-cli-rc')


@pytest.fixture
def new_class(api, unique):
    def _new():
        name = unique('CUSTOM_CLI').upper().replace('-', '_')
        sora(api, 'resource-class', 'create', name)
        return name
    return _new


def test_a_class_goes_through_its_whole_life(api, unique):
    names = [unique('CUSTOM_CLI').upper().replace('-', '_')
             for _ in range(2)]
    assert sora(api, 'resource-class', 'create', *names).stdout == ''
    sora(api, 'resource-class', 'create', names[0])
    listed = sora_json(api, 'resource-class', 'list', as_='member')
    assert {'name': names[0], 'standard': False} in listed
    assert {'name': 'VCPU', 'standard': True} in listed
    table = sora(api, 'resource-class', 'list').stdout
    assert '| name ' in table and names[1] in table

    sora(api, 'resource-class', 'delete', *names)
    listed = sora_json(api, 'resource-class', 'list')
    assert not set(names) & {c['name'] for c in listed}


def test_bad_class_names_fail_with_the_detail(api):
    line = failure(sora(api, 'resource-class', 'create', 'GPU', ok=False))
    assert 'HTTP 400' in line
    line = failure(sora(api, 'resource-class', 'delete', 'VCPU', ok=False))
    assert 'HTTP 400' in line


def test_a_host_takes_inventories_on_create_and_set(api, new_class, unique):
    gpu, nvme = new_class(), new_class()
    name = unique()
    host = sora_json(api, 'host', 'create', name, '--vcpus', '8',
                     '--memory-mb', '16384', '--disk-gb', '100',
                     '--inventory', gpu + '=total=4,max_unit=2',
                     '--inventory', nvme + '=2')
    assert host['inventories'][gpu] == {
        'total': 4, 'reserved': 0, 'allocation_ratio': 1.0, 'max_unit': 2,
        'used': 0}
    assert host['inventories'][nvme]['total'] == 2

    host = sora_json(api, 'host', 'set', name, '--inventory',
                     gpu + '=total=8,reserved=1', '--remove-inventory', nvme)
    assert host['inventories'][gpu]['total'] == 8
    assert host['inventories'][gpu]['reserved'] == 1
    assert nvme not in host['inventories']

    listed = sora_json(api, 'host', 'list', '--long', '--name', name)
    assert listed[0]['inventories'][gpu]['total'] == 8
    table = sora(api, 'host', 'show', name, '-c', 'inventories').stdout
    assert ('%s: total=8, reserved=1, allocation_ratio=1.0, max_unit=8, '
            'used=0' % gpu) in table

    line = failure(sora(api, 'resource-class', 'delete', gpu, ok=False))
    assert 'HTTP 409, sora.in_use' in line
    sora(api, 'host', 'delete', name)
    sora(api, 'resource-class', 'delete', gpu, nvme)


def test_an_inventory_of_an_unknown_class_fails_with_the_detail(api,
                                                                unique):
    line = failure(sora(api, 'host', 'create', unique(), '--vcpus', '1',
                        '--memory-mb', '1', '--disk-gb', '1', '--inventory',
                        'CUSTOM_NEVER_CREATED=1', ok=False))
    assert 'CUSTOM_NEVER_CREATED' in line and 'HTTP 400' in line


def test_a_schedule_asks_for_any_class(api, make_host, new_class, zone):
    gpu = new_class()
    make_host(availability_zone=zone)
    gpu_host = make_host(availability_zone=zone,
                         inventories={gpu: {'total': 2}})
    schedule = sora_json(api, 'schedule', 'create', '--vcpus', '1',
                         '--resource', gpu + '=1', '--availability-zone',
                         zone, as_='member')
    assert schedule['resources'] == {'vcpus': 1, gpu: 1}
    assert [a['host_id'] for a in schedule['allocations']] == [
        gpu_host['id']]
    shown = sora_json(api, 'host', 'show', gpu_host['id'])
    assert shown['inventories'][gpu]['used'] == 1
    sora(api, 'schedule', 'delete', schedule['id'], as_='member')


def test_quotas_and_usage_from_the_command_line(api, make_host, new_class,
                                                zone):
    gpu = new_class()
    make_host(availability_zone=zone, inventories={gpu: {'total': 4}})
    try:
        quota = sora_json(api, 'quota', 'set', 'project-a', '--limit',
                          gpu + '=1', '--limit', 'instances=-1')
        assert quota['project_id'] == 'project-a'
        assert (quota['limits'][gpu], quota['limits']['instances']) == (
            1, -1)
        # A member sees its own project's quota without naming it.
        own = sora_json(api, 'quota', 'show', as_='member')
        assert own['project_id'] == 'project-a' and own['limits'][gpu] == 1

        ask = ('schedule', 'create', '--vcpus', '1', '--resource',
               gpu + '=1', '--availability-zone', zone)
        placed = sora_json(api, *ask, as_='member')
        line = failure(sora(api, *ask, as_='member', ok=False))
        assert gpu in line and 'HTTP 403, sora.over_quota' in line

        usage = sora_json(api, 'usage', 'show', as_='member')
        assert usage['project_id'] == 'project-a' and usage[gpu] == 1
        assert sora_json(api, 'usage', 'show', '--project',
                         'project-a')[gpu] == 1
        every = sora_json(api, 'usage', 'show', '--all-projects')
        assert isinstance(every, list)
        assert next(u for u in every
                    if u['project_id'] == 'project-a')[gpu] == 1
        table = sora(api, 'usage', 'show', '--all-projects').stdout
        assert '| project_id ' in table and '| %s ' % gpu in table
        shown = sora(api, 'quota', 'show', 'project-a').stdout
        assert '%s=1' % gpu in shown

        sora(api, 'schedule', 'delete', placed['id'], as_='member')
    finally:
        sora(api, 'quota', 'delete', 'project-a')
    assert gpu not in sora_json(api, 'quota', 'show',
                                'project-a')['limits']


def test_a_member_cannot_set_quotas_or_read_all_usage(api):
    line = failure(sora(api, 'quota', 'set', 'project-a', '--limit',
                        'VCPU=1', as_='member', ok=False))
    assert 'sora.forbidden' in line
    line = failure(sora(api, 'usage', 'show', '--all-projects',
                        as_='member', ok=False))
    assert 'sora.forbidden' in line


def test_usage_of_every_project_in_csv_and_value(api):
    out = sora(api, 'usage', 'show', '--all-projects', '-f', 'csv').stdout
    assert out.startswith('"project_id","instances","VCPU","MEMORY_MB",'
                          '"DISK_GB"')
    out = sora(api, 'usage', 'show', '--all-projects', '-f', 'value',
               '-c', 'project_id').stdout
    assert all(' ' not in line for line in out.splitlines())
    out = sora(api, 'usage', 'show', '-f', 'json', as_='member').stdout
    assert json.loads(out)['project_id'] == 'project-a'
    line = failure(sora(api, 'usage', 'show', '--all-projects', '-f',
                        'shell', ok=False))
    assert line == ('-f shell shows one project; use table, json, yaml, '
                    'value or csv.')
    out = sora(api, 'usage', 'show', '-f', 'shell', as_='member').stdout
    assert 'project_id="project-a"' in out


@pytest.mark.parametrize('name', COMMANDS)
def test_every_new_command_has_help(api, name):
    result = sora(api, *name.split(), '--help')
    assert result.stdout.startswith('usage: sora ' + name)
