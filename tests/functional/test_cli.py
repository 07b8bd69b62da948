"""The installed ``sora`` command against a real ``sora-api``.

Tests share one server, so each works in its own availability zone.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

SORA = os.path.join(os.path.dirname(sys.executable), 'sora')
COMMANDS = ['host create', 'host list', 'host show', 'host set',
            'host delete', 'host heartbeat', 'schedule create',
            'schedule list', 'schedule show', 'schedule delete', 'capacity']


def sora(api, *args, as_='admin', ok=True, url=None):
    """Run ``sora args`` with SORA_URL/SORA_TOKEN of identity ``as_``."""
    env = dict(os.environ, SORA_URL=url or api.url,
               SORA_TOKEN=api.tokens[as_])
    result = subprocess.run([SORA, *args], capture_output=True, text=True,
                            env=env, timeout=60)
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def sora_json(api, *args, as_='admin'):
    return json.loads(sora(api, *args, '-f', 'json', as_=as_).stdout)


def failure(result):
    """The one stderr line of a failed command."""
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def zone(unique):
    return unique('az-cli')


def test_a_host_goes_through_its_whole_life(api, unique, zone):
    name = unique()
    host = sora_json(api, 'host', 'create', name, '--vcpus', '8',
                     '--memory-mb', '16384', '--disk-gb', '100',
                     '--availability-zone', zone, '--trait', 'CUSTOM_SSD',
                     '--metadata', 'tier=gold')
    assert host['name'] == name
    assert host['traits'] == ['CUSTOM_SSD']
    assert host['metadata'] == {'tier': 'gold'}

    listed = sora_json(api, 'host', 'list', '--availability-zone', zone)
    assert [h['id'] for h in listed] == [host['id']]
    assert sora_json(api, 'host', 'show', name)['id'] == host['id']

    changed = sora_json(api, 'host', 'set', name, '--disable',
                        '--disabled-reason', 'repair', '--if-match',
                        str(host['generation']))
    assert (changed['enabled'], changed['disabled_reason']) == (False,
                                                                'repair')

    beat = sora(api, 'host', 'heartbeat', host['id'], '--io-ops', '5')
    assert beat.stdout == ''
    shown = sora_json(api, 'host', 'show', host['id'])
    assert shown['io_ops'] == 5 and shown['last_heartbeat']

    sora(api, 'host', 'delete', name)
    gone = failure(sora(api, 'host', 'show', name, ok=False))
    assert name in gone


def test_host_list_prints_a_table_by_default(api, make_host, zone):
    host = make_host(availability_zone=zone)
    out = sora(api, 'host', 'list', '--availability-zone', zone).stdout
    assert '| name ' in out and host['name'] in out and host['id'] in out


@pytest.mark.parametrize('fmt, check', [
    ('yaml', lambda out, host: 'name: %s' % host['name'] in out),
    ('value', lambda out, host: out.splitlines()[1] == host['name']),
    ('csv', lambda out, host: out.startswith('"id","name"')
     and host['name'] in out),
    ('table', lambda out, host: '| vcpus ' in out),
])
def test_host_show_in_every_format(api, make_host, fmt, check):
    host = make_host()
    out = sora(api, 'host', 'show', host['id'], '-f', fmt).stdout
    assert check(out, host), out


def test_a_stale_if_match_fails_with_the_detail(api, make_host):
    host = make_host()
    sora(api, 'host', 'set', host['id'], '--vcpus', '16')
    line = failure(sora(api, 'host', 'set', host['id'], '--vcpus', '4',
                        '--if-match', str(host['generation']), ok=False))
    assert 'generation' in line and 'HTTP 412' in line


def test_a_schedule_goes_through_its_whole_life(api, make_host, zone):
    host = make_host(availability_zone=zone)
    schedule = sora_json(api, 'schedule', 'create', '--vcpus', '2',
                         '--memory-mb', '1024', '--num-instances', '2',
                         '--availability-zone', zone, '--group',
                         'g-' + zone, '--group-policy', 'soft-affinity',
                         as_='member')
    assert [a['host_id'] for a in schedule['allocations']] == [host['id']] * 2
    assert schedule['hints'] == {'group': 'g-' + zone,
                                 'group_policy': 'soft-affinity'}

    shown = sora_json(api, 'schedule', 'show', schedule['id'], as_='member')
    assert shown['allocations'] == schedule['allocations']
    listed = sora_json(api, 'schedule', 'list', '--group', 'g-' + zone,
                       as_='member')
    assert [(s['id'], s['hosts']) for s in listed] == [
        (schedule['id'], [host['name'], host['name']])]

    table = sora(api, 'schedule', 'show', schedule['id'], as_='member')
    assert '0: %s' % host['name'] in table.stdout

    sora(api, 'schedule', 'delete', schedule['id'], as_='member')
    line = failure(sora(api, 'schedule', 'show', schedule['id'],
                        as_='member', ok=False))
    assert 'could not be found' in line and 'HTTP 404' in line


def test_an_idempotency_key_from_the_command_line(api, make_host, zone):
    make_host(availability_zone=zone)
    args = ('schedule', 'create', '--vcpus', '1', '--availability-zone',
            zone, '--idempotency-key', 'key-' + zone)
    first = sora_json(api, *args, as_='member')
    assert sora_json(api, *args, as_='member')['id'] == first['id']


def test_dry_run_prints_candidates_and_funnel_tables(api, make_host, zone):
    big = make_host(availability_zone=zone, memory_mb=32768)
    small = make_host(availability_zone=zone, memory_mb=8192)
    out = sora(api, 'schedule', 'create', '--memory-mb', '1024',
               '--availability-zone', zone, '--dry-run',
               as_='member').stdout
    candidates, funnel = out.split('Filter funnel:')
    assert candidates.startswith('Candidates, best first:')
    assert candidates.index(big['name']) < candidates.index(small['name'])
    assert '| rank ' in candidates and '| weight ' in candidates
    assert '| hosts_in ' in funnel and '| RamFilter ' in funnel
    assert sora_json(api, 'host', 'show', big['id'])['memory_mb_used'] == 0


def test_dry_run_as_json_is_one_document(api, make_host, zone):
    host = make_host(availability_zone=zone)
    result = sora_json(api, 'schedule', 'create', '--vcpus', '1',
                       '--availability-zone', zone, '--dry-run',
                       as_='member')
    assert [c['host_id'] for c in result['candidates']] == [host['id']]
    assert {'filter', 'hosts_in', 'hosts_out'} <= set(
        result['explanation'][0])


def test_no_valid_host_prints_the_detail_and_the_funnel(start_server,
                                                        make_host, zone):
    # A server of its own: every host is near, so only this test's count.
    api = start_server()
    make_host(api, availability_zone=zone, memory_mb=1024)
    result = sora(api, 'schedule', 'create', '--memory-mb', '1000000',
                  '--availability-zone', zone, as_='member', ok=False)
    line = failure(result)
    assert result.returncode == 1
    assert line.startswith('No valid host was found.')
    assert 'Filter funnel:' in line and 'RamFilter 1->0' in line
    # The tables of the nearest hosts and relaxations go to stdout.
    nearest, relaxations = result.stdout.split('Relaxations')
    assert nearest.startswith('Nearest hosts:')
    assert '| failed_filters ' in nearest and '| RamFilter ' in nearest
    # 1024 MB at the default ram_allocation_ratio of 1.5 are 1536 usable.
    assert '| MEMORY_MB=998464 ' in nearest
    assert '| resources.MEMORY_MB | 1536 ' in relaxations


def test_no_valid_host_as_json_prints_nearest_and_relaxations(
        start_server, make_host, zone):
    api = start_server()
    host = make_host(api, availability_zone=zone, memory_mb=1024,
                     ram_allocation_ratio=1.0)
    result = sora(api, 'schedule', 'create', '--memory-mb', '2048',
                  '--availability-zone', zone, '-f', 'json', as_='member',
                  ok=False)
    assert failure(result).startswith('No valid host was found.')
    assert json.loads(result.stdout) == {
        'nearest': [{'host_id': host['id'], 'host_name': host['name'],
                     'failed_filters': ['RamFilter'],
                     'shortfall': {'MEMORY_MB': 1024}}],
        'relaxations': [{'field': 'resources.MEMORY_MB', 'to': 1024,
                         'hosts': 1}]}


def test_capacity_shows_how_many_more_fit(api, make_host, zone):
    make_host(availability_zone=zone, vcpus=4, memory_mb=65536,
              cpu_allocation_ratio=1.0)
    make_host(availability_zone=zone, vcpus=64, memory_mb=8192,
              ram_allocation_ratio=1.0)
    out = sora(api, 'capacity', '--vcpus', '1', '--memory-mb', '4096',
               '--availability-zone', zone, as_='member').stdout
    assert '| instances ' in out and '| by_availability_zone ' in out
    found = sora_json(api, 'capacity', '--vcpus', '1', '--memory-mb',
                      '4096', '--availability-zone', zone, as_='member')
    assert found['instances'] == 4 + 2
    assert found['by_availability_zone'][zone] == 6
    assert found['limited_by'] == {'VCPU': 1, 'MEMORY_MB': 1}
    assert found['quota_remaining'] is None


def test_a_forbidden_command_fails_with_the_detail(api):
    line = failure(sora(api, 'host', 'list', as_='member', ok=False))
    assert 'Policy does not allow' in line and 'sora.forbidden' in line


def test_a_bad_query_fails_with_the_detail(api):
    line = failure(sora(api, 'schedule', 'create', '--vcpus', '1',
                        '--query', '["nope", 1]', as_='member', ok=False))
    assert 'nope' in line and 'HTTP 400' in line


def test_without_a_url_the_command_says_how_to_give_one(api):
    env = {k: v for k, v in os.environ.items() if k != 'SORA_URL'}
    result = subprocess.run([SORA, 'host', 'list'], capture_output=True,
                            text=True, env=env, timeout=60)
    assert failure(result) == 'No API URL: set SORA_URL or pass --os-url.'


def test_an_unreachable_server_fails_after_the_retries(api):
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        url = 'http://127.0.0.1:%d' % s.getsockname()[1]
    line = failure(sora(api, '--retries', '1', 'host', 'list', url=url,
                        ok=False))
    assert line == ('Could not get an answer from %s/v1/hosts after 2 '
                    'tries: Connection refused' % url)


@pytest.mark.parametrize('name', COMMANDS)
def test_every_command_has_help(api, name):
    result = sora(api, *name.split(), '--help')
    assert result.stdout.startswith('usage: sora ' + name)
