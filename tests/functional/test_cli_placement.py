"""``sora host create/set --taint/--project`` and ``sora schedule create
--toleration/--prefer`` against a real ``sora-api``."""

import pytest

from tests.functional.test_cli import failure
from tests.functional.test_cli import sora
from tests.functional.test_cli import sora_json

GPU = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}


@pytest.fixture
def zone(unique):
    return unique('az-cli')


def host(api, name, zone, *options):
    return sora_json(api, 'host', 'create', name, '--vcpus', '8',
                     '--memory-mb', '16384', '--disk-gb', '100',
                     '--availability-zone', zone, *options)


def test_taints_and_projects_from_the_command_line(api, unique, zone):
    name = unique()
    created = host(api, name, zone, '--taint', 'gpu=yes:NoSchedule',
                   '--taint', 'spot:PreferNoSchedule', '--project',
                   'project-a')
    assert created['taints'] == [
        GPU, {'key': 'spot', 'value': '', 'effect': 'PreferNoSchedule'}]
    assert created['projects'] == ['project-a']
    shown = sora(api, 'host', 'show', name).stdout
    assert 'gpu=yes:NoSchedule, spot=:PreferNoSchedule' in shown
    changed = sora_json(api, 'host', 'set', name, '--taint',
                        'gpu=no:NoSchedule', '--project', 'project-b')
    assert changed['taints'] == [dict(GPU, value='no')]
    assert changed['projects'] == ['project-b']
    cleared = sora_json(api, 'host', 'set', name, '--no-taint',
                        '--no-project')
    assert (cleared['taints'], cleared['projects']) == ([], [])


def test_tolerations_and_preferences_from_the_command_line(api, unique,
                                                           zone):
    tainted = host(api, unique(), zone, '--taint', 'gpu=yes:NoSchedule')
    gold = host(api, unique(), zone, '--metadata', 'tier=gold')
    made = sora_json(api, 'schedule', 'create', '--vcpus', '1',
                     '--availability-zone', zone, '--toleration', 'gpu',
                     '--prefer', '-50:["=", "$metadata.tier", "gold"]',
                     as_='member')
    assert [a['host_name'] for a in made['allocations']] == [
        tainted['name']]
    assert made['tolerations'] == [{'key': 'gpu', 'operator': 'Exists'}]
    assert made['preferences'] == [
        {'weight': -50, 'query': ['=', '$metadata.tier', 'gold']}]
    plain = sora_json(api, 'schedule', 'create', '--vcpus', '1',
                      '--availability-zone', zone, as_='member')
    assert [a['host_name'] for a in plain['allocations']] == [gold['name']]


def test_a_refused_preference_prints_the_servers_detail(api, zone):
    result = sora(api, 'schedule', 'create', '--vcpus', '1',
                  '--availability-zone', zone, '--prefer', '0:["=", 1, 1]',
                  as_='member', ok=False)
    assert 'preferences/0/weight' in failure(result)
