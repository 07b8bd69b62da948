"""The benchmark's results table: rows merged by setup, the GPU fleet."""

import argparse

from benchmarks import fleet
from benchmarks import results
from benchmarks import run as bench_run


def _row(setup, hosts, connections, rate):
    return {'setup': setup, 'hosts': hosts, 'connections': connections,
            'rate': rate}


def test_a_later_run_replaces_only_the_rows_of_its_own_setup():
    earlier = [_row('SQLite', 1000, 8, 1), _row('SQLite', 1000, 64, 2),
               _row('PostgreSQL', 1000, 8, 3)]
    later = [_row('SQLite', 1000, 64, 20), _row('MariaDB/MySQL', 1000, 8, 4)]
    merged = results.merge_rows(earlier, later)
    assert [(r['setup'], r['connections'], r['rate']) for r in merged] == [
        ('SQLite', 8, 1), ('SQLite', 64, 20), ('PostgreSQL', 8, 3),
        ('MariaDB/MySQL', 8, 4)]


def test_the_setup_names_the_database_server_and_options():
    args = argparse.Namespace(
        db='postgresql+psycopg2://u@h/db', server='gunicorn', threads=4,
        workers=2, gpu_fraction=0.25, trickle=20.0, restart=False)
    assert bench_run.setup_name(args) == (
        'PostgreSQL, gunicorn (gthread, 4 threads), workers=2, '
        'GPU hosts 0.25, trickle 20 hosts/s')
    assert results.database_name(None) == 'SQLite'
    assert results.database_name(
        'mysql+pymysql://u@h/db') == 'MariaDB/MySQL'


def test_a_gpu_fleet_changes_only_the_inventories():
    plain = [fleet.host_body(i) for i in range(400)]
    gpu = [fleet.host_body(i, gpu_fraction=0.25) for i in range(400)]
    for before, after in zip(plain, gpu):
        assert {k: v for k, v in after.items() if k != 'inventories'} == (
            before)
    with_gpus = [b['inventories'] for b in gpu if 'inventories' in b]
    assert 60 < len(with_gpus) < 140
    assert {name for inv in with_gpus for name in inv} == set(
        fleet.GPU_CLASSES)
    assert all(list(i.values())[0]['total'] in fleet.GPU_TOTALS
               for i in with_gpus)


def test_the_gpu_mix_asks_for_one_gpu_in_two_requests_of_eight():
    mix = fleet.schedule_mix(0.25)
    assert len(mix) == 8
    asked = [name for body in mix for name in body['resources']
             if name.startswith('CUSTOM_')]
    assert sorted(asked) == sorted(fleet.GPU_CLASSES)
    assert fleet.schedule_mix(0.0) == [fleet.schedule_body()]
