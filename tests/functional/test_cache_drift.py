"""A worker's host table never drifts from the database.

Each worker keeps its hosts in memory and catches up with what changed. A
request that chose a host and then failed to claim it must leave nothing
behind there, and a database replaced under running servers (a restored
backup) must be read again, not caught up with. Every check goes through
HTTP: a dry run answered by some worker shows which hosts that worker
believes have room, and fresh connections reach every worker.
"""

import concurrent.futures
import threading

from sora_api.db import hosts as db_hosts
from tests.functional import backups
from tests.functional import server as sora_server

WORKERS = 4
TIMEOUT = 60
# Dry runs, each on a new connection: enough that every one of the workers
# answers some (each misses all of them with odds (3/4)**40, about 1e-5).
SURVEY = 40
ONE_SLOT = {'vcpus': 2, 'memory_mb': 2048, 'disk_gb': 10,
            'cpu_allocation_ratio': 1.0, 'ram_allocation_ratio': 1.0}
REQUEST = {'resources': {'vcpus': 2}}


def _hosts(srv, count, prefix):
    hosts = {}
    for i in range(count):
        response = srv.request('POST', '/v1/hosts', as_='admin', json=dict(
            ONE_SLOT, name='%s-%02d' % (prefix, i)))
        assert response.status_code == 201, response.text
        hosts[response.json()['host']['id']] = response.json()['host']
    return hosts


def _free(srv, hosts):
    """Ids of the hosts that have room for REQUEST, read from the database."""
    db = srv.database()
    try:
        return {h for h in hosts if db_hosts.get(db, h).instances == 0}
    finally:
        db.engine.dispose()


def _views(srv, retry_503=False):
    """Each answering worker's candidates for REQUEST, over SURVEY dry runs.

    ``retry_503``: right after a database restore, a worker's first use of
    a pooled connection broken by it may answer 503; those are skipped.
    """
    views = []
    for _ in range(SURVEY):
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json=dict(REQUEST, dry_run=True))
        if retry_503 and response.status_code == 503:
            continue
        assert response.status_code == 200, response.text
        views.append({c['host_id']
                      for c in response.json()['candidates']})
    assert len(views) >= SURVEY // 2
    return views


def _fill(srv, count):
    """``count`` single-instance schedules one by one: every one placed."""
    for _ in range(count):
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json=REQUEST)
        assert response.status_code == 201, response.text
    response = srv.request('POST', '/v1/schedules', as_='member',
                           json=REQUEST)
    sora_server.assert_error(response, 409, 'sora.no_valid_host')


def test_requests_that_lost_group_races_leave_every_free_host_usable(
        start_server):
    srv = start_server({'api': {'workers': WORKERS},
                        'filter_scheduler': {'host_subset_size': 16}})
    hosts = _hosts(srv, 16, 'race')
    barrier = threading.Barrier(16, timeout=TIMEOUT)

    def anti_affine(i):
        barrier.wait()
        return srv.request('POST', '/v1/schedules', as_='member', json=dict(
            REQUEST, hints={'group': 'web',
                            'group_policy': 'anti-affinity'}),
            timeout=TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(anti_affine, range(16)))
    assert {a.status_code for a in answers} <= {201, 409}, [
        a.text for a in answers if a.status_code not in (201, 409)]
    free = _free(srv, hosts)
    assert len(free) == 16 - sum(a.status_code == 201 for a in answers)
    # Every worker sees every free host, whichever choices lost their race.
    assert all(view == free for view in _views(srv))
    _fill(srv, len(free))


def test_a_database_restored_under_running_servers_is_read_again(
        start_server, tmp_path):
    srv = start_server({'api': {'workers': WORKERS}})
    hosts = _hosts(srv, 4, 'restore')
    saved = backups.backup(srv, tmp_path)
    _fill(srv, 4)
    assert all(view == set() for view in _views(srv))
    # The backup replaces the live database while the server runs (on a
    # server database its sessions are ended: some answers may be 503).
    backups.restore(saved)
    assert _free(srv, hosts) == set(hosts)
    assert all(view == set(hosts) for view in _views(srv, retry_503=True))
    _fill(srv, 4)
