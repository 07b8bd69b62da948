"""docs/placement-policies.md's examples run, in order, against a real
server, with the ``sora`` CLI of this checkout."""


from tests import docblocks

GUIDE_BLOCKS = ('policies-1', 'policies-2', 'policies-3', 'policies-4',
                'policies-5', 'policies-6', 'policies-7', 'policies-8')


def test_the_placement_policies_guide_runs_against_a_real_server(
        start_server, tmp_path):
    server = start_server()
    result = docblocks.run_served(server, tmp_path, GUIDE_BLOCKS,
                                  timeout=180)
    assert result.returncode == 0, result.stderr
    # The third zone's host, the refused fourth member, both affinity
    # requests, a group without members yet, the conflict, the spread,
    # then the groups: web still holds, one member per zone.
    assert result.stdout.split() == [
        'node-5', 'refused', '4', '2', 'metadata.rack', '0.0', '409', '6',
        'schedule_anyway', 'True', 'batch', '1']
