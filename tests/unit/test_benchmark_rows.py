"""The benchmark's results table: rows merged by setup, the GPU fleet,
the placement policies' fleet and request."""

import argparse
import random

from oslo_config import cfg

from benchmarks import fleet
from benchmarks import passes
from benchmarks import results
from benchmarks import run as bench_run
from sora_api import conf as sora_conf
from sora_api.api import wsgi
from sora_api.api.schemas import hosts as host_schema
from sora_api.api.schemas import schedules as schedule_schema
from sora_api.scheduler import host_table
from sora_api.scheduler import manager as scheduler_manager


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
        workers=2, gpu_fraction=0.25, trickle=20.0, restart=False,
        policies=True)
    assert bench_run.setup_name(args) == (
        'PostgreSQL, gunicorn (gthread, 4 threads), workers=2, '
        'GPU hosts 0.25, placement policies, trickle 20 hosts/s')
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


def test_a_policy_fleet_adds_only_taints_and_projects():
    plain = [fleet.host_body(i) for i in range(2000)]
    policy = [fleet.host_body(i, policies=True) for i in range(2000)]
    for before, after in zip(plain, policy):
        assert {k: v for k, v in after.items()
                if k not in ('taints', 'projects')} == before
        wsgi.validate(after, host_schema.create)
    kinds = [(tuple(t['key'] for t in b.get('taints', [])),
              tuple(b.get('projects', []))) for b in policy]
    # 5% of the hosts each (100 of 2000, give or take the draw).
    for kind in [(('gpu',), ()), (('maintenance',), ()),
                 ((), (fleet.OTHER_PROJECT,)), (('gpu',), (fleet.PROJECT,))]:
        assert 60 < kinds.count(kind) < 140, kind
    assert 1500 < kinds.count(((), ())) < 1700
    assert policy == [fleet.host_body(i, policies=True) for i in range(2000)]


def test_the_policy_request_is_valid_and_its_members_spread_over_zones():
    body = fleet.policies_body(dry_run=True)
    wsgi.validate(body, schedule_schema.create(100, 3600))
    zones = [fleet.host_body(i)['availability_zone']
             for i in fleet.GROUP_MEMBERS]
    assert sorted(zones.count(z) for z in fleet.ZONES) == [1, 1, 2, 2]
    assert max(zones.count(z) for z in fleet.ZONES) == (
        fleet.GROUP_MAX_PER_ZONE)
    racks = {fleet.host_body(i)['metadata']['rack']
             for i in fleet.GROUP_MEMBERS}
    assert len(racks) == len(fleet.GROUP_MEMBERS)


def test_the_policy_pass_keeps_the_hosts_every_policy_allows():
    conf = cfg.ConfigOpts()
    sora_conf.register_opts(conf)
    conf([], default_config_files=[])
    manager = scheduler_manager.SchedulerManager(conf, db=None,
                                                 rng=random.Random(1))
    table = host_table.HostTable()
    table.update([passes.table_row(i, policies=True) for i in range(1000)])
    spec = passes.policy_spec(manager, table)
    candidates, funnel = manager.driver.rank(spec, table)
    members = {fleet.host_body(i)['metadata']['rack']
               for i in fleet.GROUP_MEMBERS}
    assert candidates
    for candidate in candidates:
        host = candidate.host
        # az1 and az2 hold two members each, the most a zone may.
        assert host.availability_zone in ('az3', 'az4')
        assert host.metadata['rack'] not in members
        assert host.projects in (frozenset(), {fleet.PROJECT})
        assert all(t.effect != 'NoSchedule' or t.key == 'gpu'
                   for t in host.taints)
    shown = {f['filter']: f['hosts_out'] for f in funnel}
    assert shown['ServerGroupAntiAffinityFilter'] == 500
    assert shown['TopologySpreadFilter'] == len(candidates)
    tolerated = [c for c in candidates if c.host.taints]
    assert tolerated and candidates[0].weights['PreferenceWeigher'] > 0
