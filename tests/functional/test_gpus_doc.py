"""docs/gpus.md's examples run, in order, against a real server."""

import configparser
import json
import os
import re

from tests import docblocks

# The guide's shell blocks, in the order they appear (``<!-- run: -->``).
GUIDE_BLOCKS = ('gpus-1', 'gpus-2', 'gpus-3', 'gpus-4', 'gpus-5', 'gpus-6',
                'gpus-7', 'gpus-8', 'gpus-9')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _guide():
    with open(os.path.join(ROOT, 'docs', 'gpus.md')) as f:
        return f.read()


def _options(guide):
    """The guide's ``ini`` block as ``start_server`` options."""
    parser = configparser.ConfigParser()
    parser.read_string(re.search(r'```ini\n(.*?)```', guide, re.S).group(1))
    return {group: dict(parser[group]) for group in parser.sections()}


def test_the_gpu_guide_runs_against_a_real_server(start_server, tmp_path):
    guide = _guide()
    server = start_server(_options(guide))
    result = docblocks.run_served(server, tmp_path, GUIDE_BLOCKS)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[:2] == ['CUSTOM_GPU_A100 201', 'CUSTOM_GPU_T4 201']
    bodies = [json.loads(line) for line in lines if line.startswith('{')]
    (classes, placed, a100_host, too_big, quota, over, t4, own_quota, usage,
     usages, dry_run) = bodies

    assert {'name': 'CUSTOM_GPU_A100', 'standard': False} in classes[
        'resource_classes']
    assert len(placed['schedule']['allocations']) == 2
    assert a100_host['host']['inventories']['CUSTOM_GPU_A100'] == {
        'total': 4, 'reserved': 0, 'allocation_ratio': 1.0, 'max_unit': 2,
        'used': 2}
    assert too_big['errors'][0]['code'] == 'sora.no_valid_host'
    assert 'ResourcesFilter' in {s['filter'] for s in too_big['errors'][0][
        'explanation'] if s['hosts_out'] == 0}
    assert quota['quota']['limits']['CUSTOM_GPU_A100'] == 2
    error = over['errors'][0]
    assert (error['status'], error['code']) == (403, 'sora.over_quota')
    assert 'CUSTOM_GPU_A100' in error['detail']
    assert t4['schedule']['resources']['CUSTOM_GPU_T4'] == 1
    assert own_quota['quota']['usage']['CUSTOM_GPU_A100'] == 2
    assert (usage['usage']['CUSTOM_GPU_A100'],
            usage['usage']['CUSTOM_GPU_T4']) == (2, 1)
    assert [u['CUSTOM_GPU_A100'] for u in usages['usages']] == [2]
    ranked = [c['host_name'] for c in dry_run['candidates']]
    assert ranked[0] == 'cpu-1'
    assert 'ResourceClassWeigher' in dry_run['candidates'][0]['weights']
    gauges = [line for line in lines if line.startswith('sora_resource_')]
    assert ('sora_resource_used{availability_zone="az1",'
            'resource_class="CUSTOM_GPU_A100"} 2.0') in gauges
