"""The oslo.policy tools find Sora's rules: docs/operations.md's check."""

import os
import subprocess
import sys

import pytest

from tests import docblocks

# The oslo.policy tools read rules, never a database.
pytestmark = pytest.mark.database_independent

BIN = os.path.dirname(sys.executable)


def _run(script, cwd):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ['PATH'])
    return subprocess.run(['bash', '-euo', 'pipefail', '-c', script],
                          cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def _check(tmp_path, policy):
    (tmp_path / 'policy.yaml').write_text(policy)
    (tmp_path / 'sora.conf').write_text('[DEFAULT]\n')
    script = docblocks.block('policy-check').replace(
        '/etc/sora/sora.conf', str(tmp_path / 'sora.conf'))
    return _run(script, tmp_path)


def test_the_sample_generator_prints_every_default(tmp_path):
    result = _run(docblocks.block('policy-sample'), tmp_path)
    assert result.returncode == 0, result.stderr
    assert '#"sora:metrics:show": "rule:admin or role:metrics_reader"' \
        in result.stdout


def test_the_check_before_rollout_merges_the_overrides_and_checks_roles(
        tmp_path):
    result = _check(tmp_path, docblocks.block('policy-overrides'))
    assert result.returncode == 0, result.stderr
    effective = (tmp_path / 'effective-policy.yaml').read_text()
    # The override, found next to the configuration file, is in effect.
    assert ('"sora:metrics:show": "rule:admin or role:metrics_reader or '
            'role:monitoring"') in effective
    assert '"sora:host:create": "rule:admin"' in effective
    verdicts = dict(reversed(line.split(': ', 1))
                    for line in result.stdout.splitlines())
    assert verdicts['sora:metrics:show'] == 'passed'
    assert verdicts['sora:host:list'] == 'failed'
    assert verdicts['sora:schedule:create'] == 'failed'


def test_a_malformed_policy_file_fails_the_check(tmp_path):
    result = _check(tmp_path, '"sora:host:list": [unclosed\n')
    assert result.returncode != 0
