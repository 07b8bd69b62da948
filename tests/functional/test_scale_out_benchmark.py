"""A short run of ``benchmarks/scale_out.py``: errors only, never timing.

Two servers on one database (an SQLite file of the run's own): each
answers every schedule sent to it, without an error.
"""

import pytest

from benchmarks import scale_out

# Both servers run on an SQLite file of the run's own.
pytestmark = pytest.mark.database_independent


def test_scale_out_benchmark_smoke_run(capsys):
    rows = scale_out.main(['--hosts', '200', '--duration', '1',
                           '--connections', '4', '--tool', 'python'])
    assert [name for name, _ in rows] == ['A alone', 'A and B']
    for _, result in rows:
        assert result['requests'] > 0
        assert (result['errors'], result['non_2xx']) == (0, 0)
    printed = capsys.readouterr().out
    assert '| A and B |' in printed
