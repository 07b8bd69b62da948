"""The README's curl walk-through works by copy-paste."""

import json

from tests import docblocks


def test_the_readme_walkthrough_runs_against_a_real_server(
        start_server, tmp_path):
    server = start_server()
    result = docblocks.run_served(server, tmp_path, ['readme-walkthrough'])
    assert result.returncode == 0, result.stderr
    answers = result.stdout.strip().splitlines()
    bodies = [json.loads(line) for line in answers[:-1]]
    statuses = [e['status'] for body in bodies for e in body.get('errors',
                                                                  [])]
    # The only error the walk-through shows is the third anti-affine
    # instance finding no host; the last line is the DELETE's 204.
    assert statuses == [409]
    assert bodies[-1]['errors'][0]['code'] == 'sora.no_valid_host'
    placed = [b['schedule'] for b in bodies if 'schedule' in b]
    assert len(placed) == 1
    assert len({a['host_id'] for a in placed[0]['allocations']}) == 2
    gpu_host = next(b['host'] for b in bodies
                    if b.get('host', {}).get('name') == 'gpu-1')
    assert gpu_host['inventories']['CUSTOM_GPU_A100']['max_unit'] == 2
    gpu_run = next(b for b in bodies if 'candidates' in b
                   and len(b['candidates']) == 1)
    assert gpu_run['candidates'][0]['host_id'] == gpu_host['id']
    assert answers[-1] == '204'
    response = server.request('GET', '/v1/schedules', as_='member')
    assert response.json()['schedules'] == []
