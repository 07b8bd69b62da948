"""docs/placement-policies.md's taints, dedicated hosts and preferences
run, in order, against a real server."""


from sora_api.db import tokens
from tests import docblocks

BLOCKS = ('taints-1', 'taints-2', 'taints-3', 'taints-4', 'taints-5',
          'taints-6')


def test_the_taints_examples_run_against_a_real_server(start_server,
                                                        tmp_path):
    server = start_server()
    # As scripts/serve.sh makes them: the member belongs to ``demo``.
    db = server.database()
    _, member = tokens.create(db, 'demo-user', 'demo', ['member'])
    db.engine.dispose()
    result = docblocks.run_served(server, tmp_path, BLOCKS,
                                  member_token=member)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        # taints-2: the CLI sets and clears a taint.
        "[{'key': 'maintenance', 'value': 'soon', "
        "'effect': 'PreferNoSchedule'}]",
        '[]',
        # taints-3: no GPU host; the spot host, the roomiest, comes last.
        'cpu-1 cpu-2 spot-1',
        # taints-4: tolerating the GPU taint, the GPU hosts are roomiest.
        'gpu-1 gpu-2 cpu-1 cpu-2 spot-1',
        'gpu-1 gpu-2 cpu-1 cpu-2 spot-1',
        # taints-5: acme-1 is acme's, then demo's too.
        "['acme']",
        'cpu-1 cpu-2 spot-1',
        "['acme', 'demo']",
        'acme-1 cpu-1 cpu-2 spot-1',
        # taints-6: the gold host first; then away from it, onto the
        # roomiest untainted host.
        "{'tier': 'gold'}",
        'cpu-2 acme-1 cpu-1 spot-1',
        'acme-1',
    ], result.stdout
