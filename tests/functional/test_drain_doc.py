"""docs/operations.md's "Maintenance by drain" runs, in order, against a
real server, with curl and the ``sora`` client."""

import json

from tests import docblocks

# The section's shell blocks, in the order they appear.
BLOCKS = ('drain-env', 'drain-disable', 'drain-dry-run', 'drain-run',
          'drain-again', 'drain-delete', 'drain-bring-back')


def _host(srv, name, vcpus):
    response = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': name, 'vcpus': vcpus, 'memory_mb': 65536, 'disk_gb': 500,
        'cpu_allocation_ratio': 1.0})
    assert response.status_code == 201, response.text
    return response.json()['host']


def _schedule(srv, vcpus):
    response = srv.request('POST', '/v1/schedules', as_='member',
                           json={'resources': {'vcpus': vcpus}})
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def test_maintenance_by_drain_runs_against_a_real_server(start_server,
                                                         tmp_path):
    server = start_server()
    node1 = _host(server, 'node-1', 64)
    placed = [_schedule(server, vcpus) for vcpus in (2, 4, 48)]
    _host(server, 'node-2', 32)
    _host(server, 'node-3', 32)
    result = docblocks.run_served(server, tmp_path, BLOCKS, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    lines = out.splitlines()
    small, big = {s['id'] for s in placed[:2]}, placed[2]['id']

    # 1. Disabled, with its reason, still holding its three instances.
    assert lines[:3] == ['False', 'BIOS update', '3']
    # 2. The dry run plans the two small ones, the big one is stuck.
    dry = json.loads(next(line for line in lines if line.startswith('{')))
    assert {m['schedule_id'] for m in dry['moves']} == small
    assert [s['schedule_id'] for s in dry['stuck']] == [big]
    # 3. The drain did what was planned.
    answer = json.loads((tmp_path / 'drain.json').read_text())
    assert {m['schedule_id'] for m in answer['moves']} == small
    assert {m['to_host'] for m in answer['moves']} <= {'node-2', 'node-3'}
    [stuck] = answer['stuck']
    assert stuck['schedule_id'] == big and stuck['detail']
    assert 'stuck %s 0 ' % big in out
    # 4. Drained again after node-2 grew: the big one moved there.
    again = lines.index('64')
    assert [line.split()[:4] for line in lines[again + 1:again + 6]
            if big in line] == [['|', big, '|', '0']]
    assert 'node-2' in next(line for line in lines[again:] if big in line)
    # 5. Emptied and deleted.
    assert lines[again + 6] == '0'
    assert server.request('GET', '/v1/hosts/' + node1['id'],
                          as_='admin').status_code == 404
    # 6. node-3 drained, enabled (the reason kept), then the reason cleared.
    assert lines[-4:] == ['True', 'firmware update', 'True', 'None']
    listed = server.request('GET', '/v1/schedules', as_='member').json()
    assert sorted(s['id'] for s in listed['schedules']) == sorted(
        s['id'] for s in placed)
