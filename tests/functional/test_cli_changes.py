"""``sora schedule confirm|move|resize`` and ``sora host drain``."""

import pytest

from tests.functional.test_cli import failure
from tests.functional.test_cli import sora
from tests.functional.test_cli import sora_json


@pytest.fixture
def server(start_server):
    return start_server()


def test_hold_confirm_move_resize_and_drain_from_the_command_line(server):
    common = ('--vcpus', '8', '--memory-mb', '8192', '--disk-gb', '100',
              '--cpu-allocation-ratio', '1.0')
    sora(server, 'host', 'create', 'h1', *common)
    held = sora_json(server, 'schedule', 'create', '--vcpus', '2',
                     '--num-instances', '2', '--hold-seconds', '600',
                     as_='member')
    assert held['status'] == 'held'
    sora(server, 'host', 'create', 'h2', *common)
    result = sora(server, 'schedule', 'confirm', held['id'], '--if-match',
                  '5', as_='member', ok=False)
    assert '412' in failure(result)
    confirmed = sora_json(server, 'schedule', 'confirm', held['id'],
                          as_='member')
    assert confirmed['status'] == 'active'
    moved = sora_json(server, 'schedule', 'move', held['id'],
                      '--instance-index', '0', as_='member')
    assert 'h2' in str(moved['allocations'])
    resized = sora_json(server, 'schedule', 'resize', held['id'],
                        '--vcpus', '3', as_='member')
    assert resized['resources'] == {'vcpus': 3}
    plan = sora(server, 'host', 'drain', 'h1', '--dry-run').stdout
    assert 'from_host' in plan and 'h2' in plan
    moves = sora_json(server, 'host', 'drain', 'h1', '--reason', 'bios')
    assert [(m['instance_index'], m['from_host'], m['to_host'])
            for m in moves] == [(1, 'h1', 'h2')]
    assert sora_json(server, 'host', 'show', 'h1')['disabled_reason'] == (
        'bios')
