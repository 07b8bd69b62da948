"""docs/placement-policies.md's examples run, in order, against a real
server, with the ``sora`` CLI of this checkout."""

import os
import subprocess
import sys

from tests import docblocks

GUIDE_BLOCKS = ('policies-1', 'policies-2', 'policies-3', 'policies-4',
                'policies-5', 'policies-6', 'policies-7', 'policies-8')


def test_the_placement_policies_guide_runs_against_a_real_server(
        start_server, tmp_path):
    server = start_server()
    state = tmp_path / 'state'
    state.mkdir()
    (state / 'admin-token').write_text(server.tokens['admin'] + '\n')
    (state / 'member-token').write_text(server.tokens['member'] + '\n')
    script = ''.join(docblocks.block(name) for name in GUIDE_BLOCKS)
    script = script.replace('SORA=http://127.0.0.1:8770',
                            'SORA=' + server.url)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep
               + os.environ['PATH'])
    result = subprocess.run(['bash', '-euo', 'pipefail', '-c', script],
                            cwd=tmp_path, capture_output=True, text=True,
                            timeout=180, env=env)
    assert result.returncode == 0, result.stderr
    # The third zone's host, the refused fourth member, both affinity
    # requests, a group without members yet, the conflict, the spread,
    # then the groups: web still holds, one member per zone.
    assert result.stdout.split() == [
        'node-5', 'refused', '4', '2', 'metadata.rack', '0.0', '409', '6',
        'schedule_anyway', 'True', 'batch', '1']
