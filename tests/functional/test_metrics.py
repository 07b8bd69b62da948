"""``GET /metrics``: Prometheus text, guarded by policy, summed by worker."""

import datetime
import os
import signal

from prometheus_client import parser
import pytest
import sqlalchemy as sa

from sora_api.db import models
from tests.functional import server as sora_server
from tests.functional.server import children
from tests.functional.server import wait_for


def scrape(server):
    response = server.request('GET', '/metrics', as_='admin')
    assert response.status_code == 200, response.text
    samples = {}
    for family in parser.text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())))
            samples[key] = sample.value
    return samples


def value(samples, name, **labels):
    """The sample's value; a series not yet recorded is 0."""
    return samples.get((name, tuple(sorted(labels.items()))), 0)


def requests_of(samples, route, method='GET', status='200'):
    return value(samples, 'sora_http_requests_total', method=method,
                 route=route, status=status)


def _settled(server, predicate):
    """Scrape until ``predicate(samples)``: counts land when bodies close."""
    return wait_for(lambda: (lambda s: predicate(s) and s)(scrape(server)))


def test_metrics_need_a_token(api):
    response = api.request('GET', '/metrics')
    sora_server.assert_error(response, 401, 'sora.unauthorized')


@pytest.mark.parametrize('who', ['member', 'reader', 'norole'])
def test_only_an_admin_reads_metrics_by_default(api, who):
    response = api.request('GET', '/metrics', as_=who)
    sora_server.assert_error(response, 403, 'sora.forbidden')


def test_metrics_are_prometheus_text(api):
    response = api.request('GET', '/metrics', as_='admin')
    assert response.status_code == 200
    assert response.headers['Content-Type'].startswith('text/plain')
    names = {f.name for f in
             parser.text_string_to_metric_families(response.text)}
    assert {'sora_http_requests', 'sora_http_request_duration_seconds',
            'sora_schedules_created', 'sora_schedules_no_valid_host',
            'sora_hosts'} <= names


def test_requests_are_counted_by_route_template_not_raw_path(start_server):
    server = start_server()
    missing = '9d4f3cb8-2c4e-4c59-9b39-3d2b1f1e0a11'
    for _ in range(3):
        response = server.request('GET', '/v1/hosts/' + missing, as_='admin')
        assert response.status_code == 404
    assert server.request('GET', '/no/such/path',
                          as_='admin').status_code == 404
    samples = _settled(server, lambda s: requests_of(
        s, '(unmatched)', status='404') == 1)
    assert requests_of(samples, '/v1/hosts/{host_id}', status='404') == 3
    assert not any(missing in str(labels) for _, labels in samples)
    assert value(samples, 'sora_http_request_duration_seconds_count',
                 method='GET', route='/v1/hosts/{host_id}',
                 status='404') == 3


def test_two_workers_count_every_request_whichever_answers(start_server):
    server = start_server({'api': {'workers': 2}})
    for _ in range(20):
        # A new connection each time, so either worker may answer.
        assert server.request('GET', '/v1/hosts',
                              as_='admin').status_code == 200
    samples = _settled(server, lambda s: requests_of(s, '/v1/hosts') >= 20)
    assert requests_of(samples, '/v1/hosts') == 20
    # Every scrape sums both workers' files, whichever worker serves it.
    for _ in range(4):
        assert requests_of(scrape(server), '/v1/hosts') == 20



def test_a_dead_workers_counts_are_kept(start_server):
    server = start_server({'api': {'workers': 2}})
    for _ in range(10):
        server.request('GET', '/', as_='admin')
    _settled(server, lambda s: requests_of(s, '/') == 10)
    workers = server.worker_pids(2)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    wait_for(lambda: len(children(server.process.pid) - workers) == 2)
    assert requests_of(scrape(server), '/') == 10


def test_schedule_outcomes_and_filter_eliminations(start_server):
    server = start_server()
    for name in ('small-1', 'small-2'):
        response = server.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'vcpus': 4, 'memory_mb': 1024, 'disk_gb': 10})
        assert response.status_code == 201
    fits = {'resources': {'vcpus': 1, 'memory_mb': 512}}
    assert server.request('POST', '/v1/schedules', as_='member',
                          json=fits).status_code == 201
    assert server.request('POST', '/v1/schedules', as_='member',
                          json=dict(fits, dry_run=True)).status_code == 200
    too_big = {'resources': {'vcpus': 1, 'memory_mb': 1024 * 1024}}
    response = server.request('POST', '/v1/schedules', as_='member',
                              json=too_big)
    sora_server.assert_error(response, 409, 'sora.no_valid_host')

    samples = _settled(server, lambda s: value(
        s, 'sora_schedules_no_valid_host_total') == 1)
    assert value(samples, 'sora_schedules_created_total') == 1
    assert value(samples, 'sora_filter_eliminations_total',
                 filter='RamFilter') == 2
    assert requests_of(samples, '/v1/schedules', 'POST', '201') == 1
    assert requests_of(samples, '/v1/schedules', 'POST', '200') == 1
    assert requests_of(samples, '/v1/schedules', 'POST', '409') == 1


def test_hosts_are_counted_by_status_at_scrape_time(start_server):
    server = start_server()
    ids = []
    for name, enabled in (('on-1', True), ('on-2', True), ('off-1', False),
                          ('gone-1', True)):
        response = server.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'vcpus': 1, 'memory_mb': 1, 'disk_gb': 1,
            'enabled': enabled})
        assert response.status_code == 201
        ids.append(response.json()['host']['id'])
    # gone-1 last beat long ago: down.
    db = server.database()
    with db.writer() as session:
        session.execute(sa.update(models.Host).where(
            models.Host.id == ids[3]).values(
            last_heartbeat=datetime.datetime(2000, 1, 1)))
    db.engine.dispose()
    samples = scrape(server)
    assert value(samples, 'sora_hosts', status='up', enabled='true') == 2
    assert value(samples, 'sora_hosts', status='up', enabled='false') == 1
    assert value(samples, 'sora_hosts', status='down', enabled='true') == 1
    assert value(samples, 'sora_hosts', status='down', enabled='false') == 0


def test_an_operator_can_grant_metrics_to_another_role(start_server,
                                                       tmp_path):
    policy = tmp_path / 'policy.yaml'
    policy.write_text('"sora:metrics:show": "role:reader"\n')
    server = start_server({'oslo_policy': {'policy_file': str(policy)}})
    assert server.request('GET', '/metrics', as_='reader').status_code == 200
    assert server.request('GET', '/metrics', as_='admin').status_code == 403


def test_the_scheduler_reports_its_time_and_successful_eliminations(
        start_server):
    server = start_server()
    for name, zone in (('in-zone', 'az1'), ('elsewhere', 'az2')):
        response = server.request('POST', '/v1/hosts', as_='admin', json={
            'name': name, 'availability_zone': zone, 'vcpus': 4,
            'memory_mb': 1024, 'disk_gb': 10})
        assert response.status_code == 201
    request = {'resources': {'vcpus': 1}, 'availability_zone': 'az1',
               'num_instances': 2}
    assert server.request('POST', '/v1/schedules', as_='member',
                          json=request).status_code == 201
    samples = _settled(server, lambda s: value(
        s, 'sora_schedules_created_total') == 1)
    # Two instances placed, each after one host was filtered out by zone.
    assert value(samples, 'sora_filter_eliminations_total',
                 filter='AvailabilityZoneFilter') == 2
    for phase in ('filter', 'weigh'):
        assert value(samples, 'sora_scheduler_duration_seconds_count',
                     phase=phase) == 2
