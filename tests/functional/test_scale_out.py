"""Several ``sora-api`` servers on one server database, over-filled.

Three servers of two workers each share one database. Client threads
spread schedule requests of 1 to 3 instances over all of them until the
hosts are full; the database alone decides which claims win. Assertions are
about outcomes: how many instances were placed, what the rows hold.
"""

import collections
import concurrent.futures
import itertools
import threading

import pytest

from tests.functional import invariants
from tests.functional import placements
from tests.functional import server as sora_server

pytestmark = pytest.mark.skipif(
    not sora_server.server_database_url(),
    reason='needs a server database (PostgreSQL or MariaDB): scripts/test.sh '
           '--with-postgresql / --with-mariadb, or set SORA_TEST_DATABASE_URL')

SERVERS = 3
CLIENTS = 18
MAX_REQUESTS = 80  # per client: a bound, never reached when all is well
GIVE_UP_AFTER = 3  # consecutive 409s after which a client stops
SLOTS = [6, 9, 12, 15, 8, 11, 14, 7, 10, 13]  # instances each host can take
TIMEOUT = 60


@pytest.fixture
def servers(start_server):
    first = start_server({'api': {'workers': 2}})
    return [first] + [
        start_server({'api': {'workers': 2}},
                     database_url=first.database_url)
        for _ in range(SERVERS - 1)]


def _client(servers, number, barrier):
    """Ask for 1, 2 or 3 instances, server after server, until full."""
    sizes = itertools.cycle([1 + number % 3, 1 + (number + 1) % 3,
                             1 + (number + 2) % 3])
    order = itertools.cycle(servers[number % len(servers):]
                            + servers[:number % len(servers)])
    answers = []
    refused = 0
    barrier.wait()
    for _ in range(MAX_REQUESTS):
        srv, size = next(order), next(sizes)
        body = {'resources': {'vcpus': 1, 'memory_mb': 256},
                'num_instances': size}
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json=body, timeout=TIMEOUT)
        answers.append((srv.url, size, response))
        refused = refused + 1 if response.status_code == 409 else 0
        if refused == GIVE_UP_AFTER:
            break
    return answers


def test_servers_sharing_a_database_place_exactly_the_capacity(servers):
    admin = servers[0]
    hosts = []
    for i, slots in enumerate(SLOTS):
        response = admin.request('POST', '/v1/hosts', as_='admin', json={
            'name': 'scale-%d' % i, 'vcpus': slots,
            'cpu_allocation_ratio': 1.0, 'memory_mb': 65536,
            'disk_gb': 100})
        assert response.status_code == 201, response.text
        hosts.append(response.json()['host'])
    capacity = sum(SLOTS)

    barrier = threading.Barrier(CLIENTS, timeout=TIMEOUT)
    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(_client, servers, n, barrier)
                   for n in range(CLIENTS)]
        answers = [a for f in futures for a in f.result(timeout=600)]

    statuses = collections.Counter(r.status_code for _, _, r in answers)
    assert set(statuses) <= {201, 409}, [
        (r.status_code, r.text) for _, _, r in answers
        if r.status_code not in (201, 409)]
    for _, _, response in answers:
        if response.status_code == 409:
            sora_server.assert_error(response, 409, 'sora.no_valid_host')
    created = [r.json()['schedule'] for _, _, r in answers
               if r.status_code == 201]
    placed = sum(s['num_instances'] for s in created)
    assert placed <= capacity
    # Every server took part.
    assert {url for url, _, _ in answers} == {s.url for s in servers}

    # Room the last 409s left (a 3-instance request refused next to one
    # free slot) is taken by single instances, one at a time.
    topped_up = placements.fill_up(admin, 1, capacity - placed)
    assert placed + topped_up == capacity
    print('%d requests: %s; %d instances placed concurrently, %d topped up'
          % (len(answers), dict(statuses), placed, topped_up))

    schedules, rows = invariants.check(admin.database())
    assert len(schedules) == len(created) + topped_up
    assert {s['id'] for s in created} <= {s['id'] for s in schedules}
    for schedule in created:
        assert len(schedule['allocations']) == schedule['num_instances']
    by_id = {h['id']: h for h in rows}
    for host, slots in zip(hosts, SLOTS):
        assert by_id[host['id']]['vcpus_used'] == slots
        assert by_id[host['id']]['instances'] == slots
    # Whichever server is asked, it sees the hosts full.
    for srv in servers:
        for host, slots in zip(hosts, SLOTS):
            shown = srv.request('GET', '/v1/hosts/%s' % host['id'],
                                as_='admin').json()['host']
            assert shown['vcpus_used'] == slots
