"""``sora_api.metrics``: the recording API and its multi-process mode."""

import datetime
import os
import subprocess
import sys
import textwrap

from prometheus_client import parser
import pytest
import sqlalchemy as sa

from sora_api import metrics
from sora_api.db import engine
from sora_api.db import hosts as db_hosts
from sora_api.db import migration
from sora_api.db import models
from sora_api.db import resource_classes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    """In-process series of this test only."""
    monkeypatch.setattr(metrics, '_state', {
        'series': None, 'directory': None, 'owned': False})


def samples(text=None):
    found = {}
    for family in parser.text_string_to_metric_families(
            text or metrics.render().decode()):
        for s in family.samples:
            found[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return found


def test_filter_eliminations_count_the_hosts_each_filter_removed():
    metrics.filter_eliminations([
        {'filter': 'ComputeFilter', 'hosts_in': 10, 'hosts_out': 8},
        {'filter': 'RamFilter', 'hosts_in': 8, 'hosts_out': 3},
        {'filter': 'DiskFilter', 'hosts_in': 3, 'hosts_out': 3}])
    metrics.filter_eliminations([
        {'filter': 'RamFilter', 'hosts_in': 4, 'hosts_out': 0}])
    found = samples()
    name = 'sora_filter_eliminations_total'
    assert found[(name, (('filter', 'ComputeFilter'),))] == 2
    assert found[(name, (('filter', 'RamFilter'),))] == 9
    assert (name, (('filter', 'DiskFilter'),)) not in found


def test_no_valid_host_counts_the_failure_and_its_funnel():
    metrics.no_valid_host([{'filter': 'CoreFilter', 'hosts_in': 2,
                            'hosts_out': 0}])
    metrics.no_valid_host(None)
    found = samples()
    assert found[('sora_schedules_no_valid_host_total', ())] == 2
    assert found[('sora_filter_eliminations_total',
                  (('filter', 'CoreFilter'),))] == 2


def test_claim_races_are_labelled_by_whether_they_were_retried():
    metrics.claim_race(retried=True)
    metrics.claim_race(retried=True)
    metrics.claim_race(retried=False)
    found = samples()
    assert found[('sora_claim_races_lost_total', (('retried', 'true'),))] == 2
    assert found[('sora_claim_races_lost_total', (('retried', 'false'),))] == 1


def test_scheduler_time_is_a_histogram_per_phase():
    metrics.scheduler_time('filter', 0.002)
    with metrics.scheduler_timer('weigh'):
        pass
    found = samples()
    count = 'sora_scheduler_duration_seconds_count'
    assert found[(count, (('phase', 'filter'),))] == 1
    assert found[(count, (('phase', 'weigh'),))] == 1
    assert found[('sora_scheduler_duration_seconds_bucket',
                  (('le', '0.0025'), ('phase', 'filter')))] == 1


def test_an_unknown_scheduler_phase_is_refused():
    with pytest.raises(ValueError):
        metrics.scheduler_time('claim', 1.0)


def test_requests_without_a_route_share_one_label():
    metrics.request_done('GET', None, 404, 0.001)
    metrics.request_done('GET', '/v1/hosts', 200, 0.001)
    found = samples()
    assert found[('sora_http_requests_total', (
        ('method', 'GET'), ('route', '(unmatched)'), ('status', '404')))] == 1


def test_host_counts_by_status_and_enabled(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    db = engine.Database(conf)
    migration.upgrade(db.engine)
    now = datetime.datetime(2026, 1, 1, 12, 0, 0)
    beats = {'never': None, 'fresh': now - datetime.timedelta(seconds=30),
             'stale': now - datetime.timedelta(seconds=90)}
    for name, beat in beats.items():
        for enabled in (True, False):
            db_hosts.create(db, {
                'name': '%s-%s' % (name, enabled), 'enabled': enabled,
                'availability_zone': 'nova', 'vcpus': 1, 'memory_mb': 1,
                'disk_gb': 1, 'cpu_allocation_ratio': 1.0,
                'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0,
                'last_heartbeat': beat})
    counts = metrics.host_counts(db, 60, now=now)
    assert counts == {('up', 'true'): 2, ('up', 'false'): 2,
                      ('down', 'true'): 1, ('down', 'false'): 1}
    found = samples(metrics.render(counts).decode())
    assert found[('sora_hosts', (('enabled', 'false'),
                                 ('status', 'down')))] == 1


def _host(name, zone, **fields):
    values = {'name': name, 'availability_zone': zone, 'vcpus': 4,
              'memory_mb': 1000, 'disk_gb': 10, 'cpu_allocation_ratio': 2.0,
              'ram_allocation_ratio': 1.0, 'disk_allocation_ratio': 1.0}
    values.update(fields)
    return values


def test_resource_totals_sum_usable_and_used_by_class_and_zone(conf,
                                                               tmp_path):
    conf.set_override('state_path', str(tmp_path))
    db = engine.Database(conf)
    migration.upgrade(db.engine)
    resource_classes.create(db, 'CUSTOM_GPU')
    db_hosts.create(db, _host('a-1', 'az1', reserved_memory_mb=100,
                              inventories={'CUSTOM_GPU': {
                                  'total': 4, 'reserved': 1,
                                  'allocation_ratio': 1.0, 'max_unit': 4}}))
    db_hosts.create(db, _host('a-2', 'az1', inventories={'CUSTOM_GPU': {
        'total': 2, 'reserved': 0, 'allocation_ratio': 1.5, 'max_unit': 2}}))
    db_hosts.create(db, _host('b-1', 'az2'))
    with db.writer() as session:
        session.execute(sa.update(models.Host).values(vcpus_used=1))
        session.execute(sa.update(models.Inventory).values(used=2))
    totals = metrics.resource_totals(db)
    assert totals == {
        ('VCPU', 'az1'): (16, 2), ('VCPU', 'az2'): (8, 1),
        ('MEMORY_MB', 'az1'): (1900, 0), ('MEMORY_MB', 'az2'): (1000, 0),
        ('DISK_GB', 'az1'): (20, 0), ('DISK_GB', 'az2'): (10, 0),
        ('CUSTOM_GPU', 'az1'): (6, 4)}
    found = samples(metrics.render({}, totals).decode())
    assert found[('sora_resource_capacity', (
        ('availability_zone', 'az1'), ('resource_class', 'CUSTOM_GPU')))] == 6
    assert found[('sora_resource_used', (
        ('availability_zone', 'az2'), ('resource_class', 'VCPU')))] == 1


MULTIPROCESS = textwrap.dedent('''
    import os, sys
    from sora_api import metrics
    directory = metrics.setup(sys.argv[1])
    pids = []
    for n in range(3):
        pid = os.fork()
        if pid == 0:
            for _ in range(n + 1):
                metrics.request_done('GET', '/', 200, 0.01)
            metrics.claim_race(retried=True)
            os._exit(0)
        pids.append(pid)
    for pid in pids:
        os.waitpid(pid, 0)
        metrics.mark_process_dead(pid)
    sys.stdout.write(metrics.render().decode())
''')


def test_forked_processes_sum_in_multiprocess_mode(tmp_path):
    directory = tmp_path / 'metrics'
    directory.mkdir()
    (directory / 'counter_1.db').write_bytes(b'stale from a last run')
    out = subprocess.run([sys.executable, '-c', MULTIPROCESS,
                          str(directory)], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout
    found = samples(out)
    assert found[('sora_http_requests_total', (
        ('method', 'GET'), ('route', '/'), ('status', '200')))] == 6
    assert found[('sora_claim_races_lost_total', (('retried', 'true'),))] == 3
    assert not (directory / 'counter_1.db').exists()


def test_setup_without_a_directory_makes_one_that_cleanup_removes(tmp_path):
    script = ('from sora_api import metrics; import os\n'
              'd = metrics.setup(); metrics.schedule_created()\n'
              'print(os.path.isdir(d)); metrics.cleanup()\n'
              'print(os.path.exists(d))\n')
    out = subprocess.run([sys.executable, '-c', script], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    assert out.split() == ['True', 'False']
