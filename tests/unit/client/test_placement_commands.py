"""--taint, --project, --toleration and --prefer on the command line."""

import pytest

from sora_api.client.commands import hosts
from sora_api.client.commands import schedules


def test_taints_and_projects_of_a_new_host(parse):
    args = parse(hosts.CreateHost, [
        'h1', '--vcpus', '1', '--memory-mb', '1', '--disk-gb', '1',
        '--taint', 'gpu=yes:NoSchedule', '--taint', 'spot:PreferNoSchedule',
        '--taint', 'x=a:b=c:NoSchedule',
        '--project', 'p1', '--project', 'p2'])
    fields = hosts._fields(args)
    assert fields['taints'] == [
        {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'},
        {'key': 'spot', 'effect': 'PreferNoSchedule'},
        {'key': 'x', 'value': 'a:b=c', 'effect': 'NoSchedule'}]
    assert fields['projects'] == ['p1', 'p2']


@pytest.mark.parametrize('taint', ['gpu=yes', 'gpu=yes:NoExecute',
                                   '=x:NoSchedule', ':NoSchedule'])
def test_a_bad_taint_is_a_usage_error(refused, taint):
    err = refused(hosts.CreateHost, [
        'h1', '--vcpus', '1', '--memory-mb', '1', '--disk-gb', '1',
        '--taint', taint])
    assert '--taint' in err


@pytest.mark.parametrize('text, expected', [
    ('gpu=yes', {'key': 'gpu', 'operator': 'Equal', 'value': 'yes'}),
    ('gpu=', {'key': 'gpu', 'operator': 'Equal', 'value': ''}),
    ('gpu=yes:NoSchedule', {'key': 'gpu', 'operator': 'Equal',
                            'value': 'yes', 'effect': 'NoSchedule'}),
    ('gpu', {'key': 'gpu', 'operator': 'Exists'}),
    ('gpu:PreferNoSchedule', {'key': 'gpu', 'operator': 'Exists',
                              'effect': 'PreferNoSchedule'}),
    ('*', {'operator': 'Exists'}),
    ('*:NoSchedule', {'operator': 'Exists', 'effect': 'NoSchedule'}),
])
def test_tolerations(parse, text, expected):
    args = parse(schedules.CreateSchedule, ['--vcpus', '1',
                                            '--toleration', text])
    _, options = schedules.request_from(args)
    assert options['tolerations'] == [expected]


@pytest.mark.parametrize('text', ['gpu:NoExecute', '*=x', '=x', ''])
def test_a_bad_toleration_is_a_usage_error(refused, text):
    err = refused(schedules.CreateSchedule,
                  ['--vcpus', '1', '--toleration', text])
    assert '--toleration' in err


def test_preferences(parse):
    args = parse(schedules.CreateSchedule, [
        '--vcpus', '1', '--prefer', '50:["=", "$metadata.tier", "gold"]',
        '--prefer', '-10:[">=", "$free_ram_mb", 1024]'])
    _, options = schedules.request_from(args)
    assert options['preferences'] == [
        {'weight': 50, 'query': ['=', '$metadata.tier', 'gold']},
        {'weight': -10, 'query': ['>=', '$free_ram_mb', 1024]}]


@pytest.mark.parametrize('text', ['gold', 'x:["=", 1, 1]', '50:[',
                                  '50'])
def test_a_bad_preference_is_a_usage_error(refused, text):
    err = refused(schedules.CreateSchedule,
                  ['--vcpus', '1', '--prefer', text])
    assert '--prefer' in err
