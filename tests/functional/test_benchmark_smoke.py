"""A short run of ``benchmarks/run.py``: the service must not err under load.

It registers 1,000 hosts, then drives ``GET /``, claiming schedules and a
single-client dry run for a few seconds each, with ``wrk`` when installed
and otherwise with the benchmark's own asyncio driver (so a fresh CI
machine runs it too). It fails only on socket errors, timeouts or non-2xx
answers, never on how fast the service was.
"""

import sqlite3

import pytest

from benchmarks import instructions
from benchmarks import loadgen
from benchmarks import run as bench_run

# The benchmark's servers run on SQLite files of their own.
pytestmark = pytest.mark.database_independent


def _assert_clean(name, result):
    assert result['errors'] == 0, (name, result)
    assert result['non_2xx'] == 0, (name, result['statuses'],
                                    result.get('samples'))


def test_benchmark_smoke_run(tmp_path):
    rows = bench_run.main([
        '--hosts', '1000', '--duration', '2', '--dry-run-duration', '1',
        '--workers', '2', '--connections', '8',
        # Generous: this test is about errors, not speed.
        '--register-timeout', '600',
        '--output-dir', str(tmp_path / 'out'),
        '--workdir', str(tmp_path / 'state'),
        '--skip-inprocess', '--no-plot'])

    [row] = rows
    registration = row['registration']
    assert registration['errors'] == 0, registration
    assert registration['non_2xx'] == 0, registration
    assert registration['hosts_created'] == 1000, registration
    expected_tool = 'wrk' if loadgen.wrk_available() else 'python'
    for phase in ('baseline', 'schedule', 'dry_run'):
        assert row[phase]['tool'] == expected_tool
        _assert_clean(phase, row[phase])
    assert not [n for n in row['notes'] if 'exited with status' in n], row
    assert (tmp_path / 'out' / 'RESULTS.md').exists()


def test_benchmark_smoke_run_with_placement_policies(tmp_path):
    """``--policies``: the tainted fleet registers, the group's members are
    placed, and the policy request's dry run answers 200 throughout."""
    rows = bench_run.main([
        '--hosts', '400', '--duration', '1', '--dry-run-duration', '1',
        '--workers', '1', '--connections', '4', '--policies',
        '--register-timeout', '600',
        '--output-dir', str(tmp_path / 'out'),
        '--workdir', str(tmp_path / 'state'),
        '--skip-inprocess', '--no-plot'])

    [row] = rows
    assert row['registration']['hosts_created'] == 400, row['registration']
    assert row['setup'].endswith('placement policies')
    for phase in ('schedule', 'dry_run', 'dry_run_policies'):
        _assert_clean(phase, row[phase])
        assert row[phase]['requests'] > 0
    assert [n for n in row['notes']
            if n.startswith('dry run with placement policies: p50')], row


def test_python_driver_counts_statuses(tmp_path):
    """The fallback driver sees non-2xx answers (so the smoke run would)."""
    from benchmarks import server as bench_server

    srv = bench_server.BenchServer(tmp_path / 'srv', workers=1).start()
    try:
        ok = loadgen.run_python(srv.host, srv.port, 'GET', '/', None, None,
                                connections=2, seconds=0.5)
        refused = loadgen.run_python(srv.host, srv.port, 'GET', '/v1/hosts',
                                     None, 'not-a-token', connections=2,
                                     seconds=0.5)
    finally:
        srv.stop()
    assert ok['errors'] == 0 and ok['non_2xx'] == 0, ok
    assert refused['requests'] > 0
    assert refused['non_2xx'] == refused['requests']
    assert set(refused['statuses']) == {401}


def test_changes_benchmark_smoke_run(tmp_path):
    """``benchmarks/changes.py`` at 1k hosts, a second a run: every move,
    resize and drain answered 2xx, and the drained host emptied."""
    from benchmarks import changes

    rows = changes.main([
        '--hosts', '1000', '--duration', '1', '--connections', '8',
        '--schedules', '100', '--drains', '1', '--drain-instances', '20',
        '--output-dir', str(tmp_path / 'out'),
        '--workdir', str(tmp_path / 'state')])

    [row, drains] = rows
    assert row['registration']['hosts_created'] == 1000, row
    for name in changes.OPERATIONS:
        _assert_clean(name, row[name])
        assert row[name]['requests'] > 0, row[name]
    [drain] = drains['drains']
    assert drain['instances_before'] == 20, drain
    assert drain['all_moved'], drain
    assert not [n for n in row['notes'] if 'exited with status' in n], row
    assert (tmp_path / 'out' / 'RESULTS-changes.md').exists()


def test_instruction_counting_places_the_requests_it_counts(tmp_path):
    """``benchmarks/instructions.py`` without valgrind: the fleet it
    registers through the API takes every request its counted process
    runs (a request that failed would be counted all the same)."""
    state = tmp_path / 'state'
    instructions._registered(50, str(state))
    instructions._inner(str(state), 5, dry_run=False)
    instructions._inner(str(state), 5, dry_run=True)
    with sqlite3.connect(state / 'sora.sqlite') as conn:
        placed = conn.execute('SELECT count(*) FROM schedules').fetchone()
    assert placed == (instructions.WARM_UP + 5,)
    assert instructions._REFS.search(
        '==1== I   refs:      4,586,376,079').group(1) == '4,586,376,079'
