"""Resource classes, inventories, quotas and usage on the command line."""

import argparse

import pytest

from sora_api.client.commands import base
from sora_api.client.commands import hosts
from sora_api.client.commands import quotas
from sora_api.client.commands import resource_classes
from sora_api.client.commands import schedules


def test_every_new_command_is_registered(app):
    names = {name for name, _ in app.command_manager}
    assert {'resource-class list', 'resource-class create',
            'resource-class delete', 'quota show', 'quota set',
            'quota delete', 'usage show'} <= names


@pytest.mark.parametrize('text, expected', [
    ('CUSTOM_GPU_A100=total=4,max_unit=2',
     ('CUSTOM_GPU_A100', {'total': 4, 'max_unit': 2})),
    ('CUSTOM_FPGA=2', ('CUSTOM_FPGA', {'total': 2})),
    ('CUSTOM_NIC_VF=total=64, reserved=4, allocation_ratio=1.5',
     ('CUSTOM_NIC_VF', {'total': 64, 'reserved': 4,
                        'allocation_ratio': 1.5})),
    ('CUSTOM_GONE=total=0', ('CUSTOM_GONE', {'total': 0})),
])
def test_an_inventory_option_becomes_the_contract_inventory(text, expected):
    assert base.inventory(text) == expected


@pytest.mark.parametrize('text', [
    'CUSTOM_GPU', 'CUSTOM_GPU=', 'CUSTOM_GPU=max_unit=2',
    'CUSTOM_GPU=total=4,size=2', 'CUSTOM_GPU=total=4,total=5',
    'CUSTOM_GPU=total=-1', 'CUSTOM_GPU=total=four',
    'CUSTOM_GPU=total=4,allocation_ratio=0', '=total=4',
])
def test_a_malformed_inventory_option_is_refused(text):
    with pytest.raises(argparse.ArgumentTypeError):
        base.inventory(text)


def test_host_create_takes_inventories(parse):
    args = parse(hosts.CreateHost, [
        'gpu-1', '--vcpus', '32', '--memory-mb', '262144', '--disk-gb', '1',
        '--inventory', 'CUSTOM_GPU_A100=total=4,max_unit=2',
        '--inventory', 'CUSTOM_GPU_T4=2'])
    assert hosts._fields(args)['inventories'] == {
        'CUSTOM_GPU_A100': {'total': 4, 'max_unit': 2},
        'CUSTOM_GPU_T4': {'total': 2}}


def test_host_create_has_nothing_to_remove(refused):
    err = refused(hosts.CreateHost, [
        'h', '--vcpus', '1', '--memory-mb', '1', '--disk-gb', '1',
        '--remove-inventory', 'CUSTOM_GPU_T4'])
    assert '--remove-inventory' in err


def test_host_set_replaces_some_classes_and_removes_others_as_null(parse):
    args = parse(hosts.SetHost, [
        'gpu-1', '--inventory', 'CUSTOM_GPU_A100=total=8',
        '--remove-inventory', 'CUSTOM_GPU_T4'])
    assert hosts._fields(args) == {'inventories': {
        'CUSTOM_GPU_A100': {'total': 8}, 'CUSTOM_GPU_T4': None}}


@pytest.mark.parametrize('argv, message', [
    (['--inventory', 'CUSTOM_A=1', '--inventory', 'CUSTOM_A=2'],
     'Inventory of CUSTOM_A is given twice.'),
    (['--inventory', 'CUSTOM_A=1', '--remove-inventory', 'CUSTOM_A'],
     'Inventory of CUSTOM_A is both given and removed.'),
])
def test_host_set_refuses_contradicting_inventories(parse, argv, message):
    args = parse(hosts.SetHost, ['gpu-1'] + argv)
    with pytest.raises(base.CommandFailed) as caught:
        hosts._fields(args)
    assert str(caught.value) == message


def test_inventories_read_one_class_a_line_in_tables():
    column = hosts.InventoriesColumn({
        'VCPU': {'total': 8, 'reserved': 0, 'allocation_ratio': 16.0,
                 'max_unit': 8, 'used': 2},
        'CUSTOM_GPU_A100': {'used': 1, 'total': 4, 'reserved': 0,
                            'allocation_ratio': 1.0, 'max_unit': 2}})
    assert column.human_readable() == (
        'CUSTOM_GPU_A100: total=4, reserved=0, allocation_ratio=1.0, '
        'max_unit=2, used=1\n'
        'VCPU: total=8, reserved=0, allocation_ratio=16.0, max_unit=8, '
        'used=2')
    assert column.machine_readable()['CUSTOM_GPU_A100']['used'] == 1


def test_schedule_create_asks_for_any_class(parse):
    args = parse(schedules.CreateSchedule, [
        '--vcpus', '4', '--memory-mb', '8192',
        '--resource', 'CUSTOM_GPU_A100=1', '--resource', 'CUSTOM_NVME=0'])
    resources, _ = schedules.request_from(args)
    assert resources == {'vcpus': 4, 'memory_mb': 8192,
                         'CUSTOM_GPU_A100': 1, 'CUSTOM_NVME': 0}


def test_schedule_create_with_only_a_custom_class(parse):
    args = parse(schedules.CreateSchedule,
                 ['--resource', 'CUSTOM_FPGA=1'])
    assert schedules.request_from(args) == ({'CUSTOM_FPGA': 1}, {})


@pytest.mark.parametrize('argv', [
    ['--resource', 'CUSTOM_A=1', '--resource', 'CUSTOM_A=2'],
    ['--vcpus', '1', '--resource', 'vcpus=2'],
])
def test_schedule_create_refuses_a_class_given_twice(parse, argv):
    args = parse(schedules.CreateSchedule, argv)
    with pytest.raises(base.CommandFailed, match='given twice'):
        schedules.request_from(args)


@pytest.mark.parametrize('value', ['-1', 'one', ''])
def test_schedule_create_refuses_a_bad_amount(refused, value):
    err = refused(schedules.CreateSchedule,
                  ['--resource', 'CUSTOM_A=' + value])
    assert 'expected an integer >= 0' in err


def test_quota_set_takes_limits_of_any_class(parse):
    args = parse(quotas.SetQuota, [
        'project-a', '--limit', 'instances=20', '--limit', 'VCPU=64',
        '--limit', 'CUSTOM_GPU_A100=2', '--limit', 'MEMORY_MB=-1'])
    assert args.project == 'project-a'
    assert base.pairs(args.limits, 'Limit of') == {
        'instances': 20, 'VCPU': 64, 'CUSTOM_GPU_A100': 2, 'MEMORY_MB': -1}


@pytest.mark.parametrize('argv, message', [
    (['p'], '--limit'),
    (['p', '--limit', 'VCPU=-2'], 'expected an integer >= 0'),
    (['p', '--limit', 'VCPU'], 'expected KEY=VALUE'),
    (['--limit', 'VCPU=1'], 'project'),
])
def test_quota_set_refuses_malformed_limits(refused, argv, message):
    assert message in refused(quotas.SetQuota, argv)


def test_quota_show_defaults_to_the_callers_project(parse):
    assert parse(quotas.ShowQuota, []).project is None
    assert parse(quotas.ShowQuota, ['p']).project == 'p'


def test_usage_show_is_one_project_or_all(parse, refused):
    args = parse(quotas.ShowUsage, [])
    assert (args.project, args.all_projects) == (None, False)
    assert parse(quotas.ShowUsage, ['--project', 'p']).project == 'p'
    assert parse(quotas.ShowUsage, ['--all-projects']).all_projects
    err = refused(quotas.ShowUsage,
                  ['--project', 'p', '--all-projects'])
    assert 'not allowed with' in err


def test_usage_columns_put_the_standard_classes_first():
    usages = [{'project_id': 'a', 'instances': 1, 'VCPU': 2,
               'CUSTOM_GPU_T4': 1},
              {'project_id': 'b', 'instances': 0, 'CUSTOM_FPGA': 1}]
    fields, rows = quotas.usage_table(usages)
    assert fields == ('project_id', 'instances', 'VCPU', 'MEMORY_MB',
                      'DISK_GB', 'CUSTOM_FPGA', 'CUSTOM_GPU_T4')
    assert rows == [('a', 1, 2, 0, 0, 0, 1), ('b', 0, 0, 0, 0, 1, 0)]
    assert quotas.usage_table([]) == (quotas.USAGE_FIRST, [])


def test_a_quotas_usage_reads_without_its_project_in_tables():
    column = quotas.UsageColumn({'project_id': 'p', 'instances': 2,
                                 'VCPU': 4})
    assert column.human_readable() == 'VCPU=4, instances=2'


@pytest.mark.parametrize('cls', [resource_classes.ListResourceClasses,
                                 quotas.ShowQuota, quotas.SetQuota,
                                 quotas.ShowUsage])
def test_new_output_commands_offer_every_format(app, cls):
    action = next(a for a in cls(app, None).get_parser('x')._actions
                  if a.dest == 'formatter')
    assert {'table', 'json', 'yaml', 'value', 'csv'} <= set(action.choices)


@pytest.mark.parametrize('cls', [resource_classes.CreateResourceClass,
                                 resource_classes.DeleteResourceClass,
                                 quotas.DeleteQuota])
def test_create_and_delete_take_several_names(parse, cls):
    args = parse(cls, ['A', 'B'])
    assert list(vars(args).values()) == [['A', 'B']]
