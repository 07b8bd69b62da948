"""The ``sora`` commands turn their arguments into the API's requests."""

import argparse

import pytest

from sora_api.client import shell
from sora_api.client.commands import base
from sora_api.client.commands import hosts
from sora_api.client.commands import schedules


def test_every_command_is_registered(app):
    names = {name for name, _ in app.command_manager}
    assert {'host create', 'host list', 'host show', 'host set',
            'host delete', 'host heartbeat', 'schedule create',
            'schedule list', 'schedule show',
            'schedule delete'} <= names


def test_url_and_token_default_to_the_environment(monkeypatch):
    monkeypatch.setenv('SORA_URL', 'http://sora.test:8770')
    monkeypatch.setenv('SORA_TOKEN', 'secret')
    options, _ = shell.SoraShell().parser.parse_known_args(['host', 'list'])
    assert (options.os_url, options.os_token) == ('http://sora.test:8770',
                                                  'secret')


def test_command_line_options_beat_the_environment(monkeypatch):
    monkeypatch.setenv('SORA_URL', 'http://env')
    options, _ = shell.SoraShell().parser.parse_known_args(
        ['--os-url', 'http://flag', '--os-token', 't', 'host', 'list'])
    assert (options.os_url, options.os_token) == ('http://flag', 't')


def test_schedule_create_builds_the_contract_request(parse):
    args = parse(schedules.CreateSchedule, [
        '--vcpus', '2', '--memory-mb', '4096', '--disk-gb', '20',
        '--num-instances', '3', '--availability-zone', 'az1',
        '--required-trait', 'CUSTOM_SSD', '--forbidden-trait', 'CUSTOM_GPU',
        '--metadata', 'tier=gold', '--metadata', 'env=a=b',
        '--group', 'web', '--group-policy', 'anti-affinity',
        '--same-host', 's1', '--different-host', 's2', '--different-host',
        's3', '--query', '["and", [">=", "$free_ram_mb", 1024]]',
        '--ignore-host', 'h1', '--force-host', 'h2'])
    resources, options = schedules.request_from(args)
    assert resources == {'vcpus': 2, 'memory_mb': 4096, 'disk_gb': 20}
    assert options == {
        'num_instances': 3, 'availability_zone': 'az1',
        'required_traits': ['CUSTOM_SSD'],
        'forbidden_traits': ['CUSTOM_GPU'],
        'metadata': {'tier': 'gold', 'env': 'a=b'},
        'hints': {'group': 'web', 'group_policy': 'anti-affinity',
                  'same_host': ['s1'], 'different_host': ['s2', 's3'],
                  'query': ['and', ['>=', '$free_ram_mb', 1024]],
                  'ignore_hosts': ['h1'], 'force_hosts': ['h2']}}
    assert args.dry_run is False and args.idempotency_key is None


def test_schedule_create_sends_only_what_was_given(parse):
    args = parse(schedules.CreateSchedule, ['--memory-mb', '512',
                                            '--dry-run'])
    assert schedules.request_from(args) == ({'memory_mb': 512}, {})
    assert args.dry_run is True


def test_schedule_create_without_resources_says_which_options(parse):
    args = parse(schedules.CreateSchedule, ['--num-instances', '2'])
    with pytest.raises(base.CommandFailed, match='--vcpus'):
        schedules.request_from(args)


@pytest.mark.parametrize('argv', [
    ['--vcpus', '-1'], ['--vcpus', 'two'], ['--num-instances', '0'],
    ['--vcpus', '1', '--query', '[">="'], ['--vcpus', '1', '--metadata', 'x'],
    ['--vcpus', '1', '--group-policy', 'sideways'],
])
def test_schedule_create_refuses_malformed_options(parse, argv, capsys):
    with pytest.raises(SystemExit) as caught:
        parse(schedules.CreateSchedule, argv)
    assert caught.value.code == 2
    assert 'error:' in capsys.readouterr().err


def test_host_create_requires_capacity(parse, capsys):
    with pytest.raises(SystemExit):
        parse(hosts.CreateHost, ['h1', '--vcpus', '4'])
    assert '--memory-mb' in capsys.readouterr().err


def test_host_create_fields(parse):
    args = parse(hosts.CreateHost, [
        'h1', '--vcpus', '4', '--memory-mb', '8192', '--disk-gb', '100',
        '--availability-zone', 'az1', '--disable', '--disabled-reason', 'x',
        '--cpu-allocation-ratio', '2.5', '--reserved-memory-mb', '512',
        '--trait', 'CUSTOM_SSD', '--trait', 'HW_CPU_X86_AVX2',
        '--metadata', 'tier=gold', '--io-ops', '3'])
    assert hosts._fields(args) == {
        'name': 'h1', 'vcpus': 4, 'memory_mb': 8192, 'disk_gb': 100,
        'availability_zone': 'az1', 'enabled': False,
        'disabled_reason': 'x', 'cpu_allocation_ratio': 2.5,
        'reserved_memory_mb': 512,
        'traits': ['CUSTOM_SSD', 'HW_CPU_X86_AVX2'],
        'metadata': {'tier': 'gold'}, 'io_ops': 3}


def test_host_set_sends_only_the_options_given(parse):
    args = parse(hosts.SetHost, ['h1', '--enable', '--vcpus', '16',
                                 '--if-match', '3'])
    assert hosts._fields(args) == {'enabled': True, 'vcpus': 16}
    assert args.if_match == '3'


def test_host_set_cannot_both_enable_and_disable(parse):
    with pytest.raises(SystemExit):
        parse(hosts.SetHost, ['h1', '--enable', '--disable'])


@pytest.mark.parametrize('ratio', ['0', '-1', 'x'])
def test_allocation_ratios_must_be_positive(parse, ratio):
    with pytest.raises(SystemExit):
        parse(hosts.SetHost, ['h1', '--ram-allocation-ratio', ratio])


def test_host_list_filters(parse):
    args = parse(hosts.ListHosts, ['--disabled', '--status', 'down',
                                   '--trait', 'A', '--trait', 'B'])
    assert (args.enabled, args.status, args.traits) == (False, 'down',
                                                        ['A', 'B'])
    assert parse(hosts.ListHosts, []).enabled is None


@pytest.mark.parametrize('cls', [hosts.ShowHost, hosts.ListHosts,
                                 schedules.CreateSchedule,
                                 schedules.ListSchedules])
def test_output_commands_offer_every_format(app, cls):
    action = next(a for a in cls(app, None).get_parser('x')._actions
                  if a.dest == 'formatter')
    assert {'table', 'json', 'yaml', 'value', 'csv'} <= set(action.choices)


def test_key_value_splits_at_the_first_equals_sign():
    assert base.key_value('a=b=c') == ('a', 'b=c')
    assert base.key_value('a=') == ('a', '')
    for text in ('a', '=b'):
        with pytest.raises(argparse.ArgumentTypeError):
            base.key_value(text)


def test_a_failure_among_several_deletes_does_not_stop_the_others():
    done = []

    def delete(item):
        if item == 'bad':
            raise ValueError('no such thing')
        done.append(item)

    with pytest.raises(base.CommandFailed) as caught:
        base.for_each(['a', 'bad', 'c'], delete, 'delete host(s)')
    assert done == ['a', 'c']
    assert str(caught.value) == ('Failed to delete host(s) 1 of 3: bad: no '
                                 'such thing')

