"""``sora schedule create --topology-key/--max-per-domain/--spread`` and
``sora group list|show`` against a real server."""

import collections

import pytest

from tests.functional.test_cli import failure
from tests.functional.test_cli import sora
from tests.functional.test_cli import sora_json


@pytest.fixture
def fleet(api, make_host, unique):
    suite = unique('suite')
    zones = [unique('az'), unique('az')]
    hosts = [make_host(availability_zone=zones[i % 2], vcpus=4,
                       metadata={'suite': suite}) for i in range(4)]
    return suite, {h['id']: h['availability_zone'] for h in hosts}


def test_zone_anti_affinity_and_the_group_it_makes(api, fleet, unique):
    suite, zone = fleet
    group = unique('g')
    created = sora_json(
        api, 'schedule', 'create', '--vcpus', '1', '--num-instances', '4',
        '--metadata', 'suite=%s' % suite, '--group', group,
        '--group-policy', 'anti-affinity', '--topology-key',
        'availability_zone', '--max-per-domain', '2', as_='member')
    assert created['hints']['max_per_domain'] == 2
    assert sorted(collections.Counter(
        zone[a['host_id']] for a in created['allocations']).values()) == [
        2, 2]
    listed = sora_json(api, 'group', 'list', as_='member')
    assert {'name': group, 'policy': 'anti-affinity',
            'topology_key': 'availability_zone', 'max_per_domain': 2,
            'members': 4} in listed
    shown = sora_json(api, 'group', 'show', group, as_='member')
    assert shown['policy_holds'] is True
    assert shown['largest_domain_share'] == 2
    table = sora(api, 'group', 'show', group, as_='member').stdout
    assert 'policy_holds' in table and 'largest_domain_share' in table
    refused = sora(api, 'schedule', 'create', '--vcpus', '1',
                   '--metadata', 'suite=%s' % suite, '--group', group,
                   '--group-policy', 'affinity', as_='member', ok=False)
    assert 'sora.conflict' in failure(refused)


def test_spread_option_takes_key_skew_and_when(api, fleet):
    suite, zone = fleet
    created = sora_json(
        api, 'schedule', 'create', '--vcpus', '1', '--num-instances', '4',
        '--metadata', 'suite=%s' % suite,
        '--spread', 'availability_zone:1:do_not_schedule', as_='member')
    assert created['hints']['spread'] == {
        'key': 'availability_zone', 'max_skew': 1,
        'when_unsatisfiable': 'do_not_schedule'}
    assert sorted(collections.Counter(
        zone[a['host_id']] for a in created['allocations']).values()) == [
        2, 2]
    dry = sora_json(api, 'schedule', 'create', '--vcpus', '1', '--dry-run',
                    '--metadata', 'suite=%s' % suite,
                    '--spread', 'availability_zone:schedule_anyway',
                    as_='member')
    assert all('TopologySpreadWeigher' in c['weights']
               for c in dry['candidates'])


def test_bad_policy_options_fail_before_or_at_the_server(api):
    result = sora(api, 'schedule', 'create', '--vcpus', '1',
                  '--max-per-domain', '0', as_='member', ok=False)
    assert result.returncode != 0 and '--max-per-domain' in result.stderr
    result = sora(api, 'schedule', 'create', '--vcpus', '1', '--group', 'g',
                  '--group-policy', 'anti-affinity', '--topology-key',
                  'rack', as_='member', ok=False)
    assert 'group_topology_key' in failure(result)


def test_an_admin_lists_and_shows_other_projects_groups(api, fleet, unique):
    suite, _ = fleet
    group = unique('g') + '/with slash'
    sora_json(api, 'schedule', 'create', '--vcpus', '1', '--metadata',
              'suite=%s' % suite, '--group', group, '--group-policy',
              'anti-affinity', '--topology-key', 'availability_zone',
              as_='other')
    listed = sora_json(api, 'group', 'list', '--all-projects', as_='admin')
    assert {'project_id': 'project-b', 'name': group,
            'policy': 'anti-affinity', 'topology_key': 'availability_zone',
            'max_per_domain': 1, 'members': 1} in listed
    assert group not in [g['name'] for g in sora_json(
        api, 'group', 'list', as_='admin')]
    shown = sora_json(api, 'group', 'show', group, '--project', 'project-b',
                      as_='admin')
    assert (shown['name'], len(shown['members'])) == (group, 1)
    assert group in [g['name'] for g in sora_json(api, 'group', 'list',
                                                  as_='other')]
    assert sora_json(api, 'group', 'show', group, as_='other')[
        'policy_holds'] is True
    refused = sora(api, 'group', 'list', '--all-projects', as_='member',
                   ok=False)
    assert 'sora.forbidden' in failure(refused)
