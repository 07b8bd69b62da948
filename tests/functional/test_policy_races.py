"""Racing requests of one group never break its domain-level policy.

Two servers of two workers each share one database (the run's PostgreSQL,
else one SQLite file); requests of one group are released together over
all four workers. The group's generation swap in the claim decides: a
request placed against members that changed meanwhile loses its claim and
is placed again, seeing them.
"""

import collections

import pytest

from tests.functional import server as sora_server
from tests.functional.test_concurrency import all_at_once
from tests.functional.test_concurrency import assert_only_201_or_409

ZONES = 4
HOSTS_PER_ZONE = 3
REQUESTS = 16
TIMEOUT = 60


@pytest.fixture
def servers(start_server, tmp_path):
    options = {'api': {'workers': 2},
               # Every request retries until it fits or nothing does.
               'scheduler': {'max_claim_attempts': REQUESTS + 1}}
    if not sora_server.postgresql_url():
        options['database'] = {
            'connection': 'sqlite:///%s' % (tmp_path / 'shared.sqlite')}
    first = start_server(options)
    second = start_server(options, database_url=first.database_url)
    zone = {}
    for z in range(ZONES):
        for h in range(HOSTS_PER_ZONE):
            response = first.request('POST', '/v1/hosts', as_='admin', json={
                'name': 'h%d-%d' % (z, h), 'availability_zone': 'az%d' % z,
                'vcpus': 16, 'memory_mb': 16384, 'disk_gb': 100})
            assert response.status_code == 201, response.text
            host = response.json()['host']
            zone[host['id']] = host['availability_zone']
    return [first, second], zone


def race(servers, hints):
    return assert_only_201_or_409(all_at_once(REQUESTS, lambda i: servers[
        i % len(servers)].request('POST', '/v1/schedules', as_='member',
                                  json={'resources': {'vcpus': 1},
                                        'hints': hints}, timeout=TIMEOUT)))


def per_zone(srv, zone, group):
    listed = srv.request('GET', '/v1/schedules?group=%s' % group,
                         as_='member').json()['schedules']
    return collections.Counter(zone[a['host_id']]
                               for s in listed for a in s['allocations'])


@pytest.mark.parametrize('limit', [1, 2])
def test_racing_requests_of_a_zone_anti_affine_group_never_share_a_zone(
        servers, limit):
    servers, zone = servers
    hints = {'group': 'web', 'group_policy': 'anti-affinity',
             'group_topology_key': 'availability_zone',
             'max_per_domain': limit}
    placed = race(servers, hints)
    assert len(placed) == ZONES * limit
    counts = per_zone(servers[1], zone, 'web')
    assert counts == {'az%d' % z: limit for z in range(ZONES)}
    shown = servers[0].request('GET', '/v1/groups/web', as_='member').json()
    assert shown['group']['policy_holds'] is True
    assert shown['group']['largest_domain_share'] == limit


def test_racing_requests_of_a_spread_group_keep_the_skew(servers):
    servers, zone = servers
    placed = race(servers, {'group': 'spread',
                            'spread': {'key': 'availability_zone'}})
    assert len(placed) == REQUESTS
    counts = per_zone(servers[0], zone, 'spread')
    assert sorted(counts.values()) == [REQUESTS // ZONES] * ZONES


def test_racing_first_requests_with_two_policies_fix_one(servers):
    servers, _ = servers
    answers = all_at_once(REQUESTS, lambda i: servers[i % 2].request(
        'POST', '/v1/schedules', as_='member', timeout=TIMEOUT, json={
            'resources': {'vcpus': 1}, 'hints': {
                'group': 'mixed',
                'group_policy': ('anti-affinity', 'affinity')[i % 2]}}))
    won = {r.json()['schedule']['hints']['group_policy']
           for r in answers if r.status_code == 201}
    assert len(won) == 1
    # Either policy fits 8 requests: the other 8 are refused as conflicts.
    assert collections.Counter(r.status_code for r in answers) == {
        201: REQUESTS // 2, 409: REQUESTS // 2}
    assert {r.json()['errors'][0]['code'] for r in answers
            if r.status_code == 409} == {'sora.conflict'}
    shown = servers[1].request('GET', '/v1/groups/mixed',
                               as_='member').json()['group']
    assert shown['policy'] == won.pop()
    assert shown['policy_holds'] is True
