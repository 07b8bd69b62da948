"""``GET /v1/groups[/{name}]``: where a group's members are, and whether
its hard policy still holds once hosts move zone, lose metadata or go down;
the ``sora_groups_policy_broken`` gauge counts the groups that no longer
hold it.
"""

import datetime

import pytest
import sqlalchemy as sa

from sora_api.db import models
from tests.functional.server import assert_error
from tests.functional.test_metrics import scrape
from tests.functional.test_metrics import value


@pytest.fixture
def server(start_server):
    return start_server()


def add_host(srv, name, zone, **fields):
    body = {'name': name, 'availability_zone': zone, 'vcpus': 4,
            'memory_mb': 4096, 'disk_gb': 10, 'cpu_allocation_ratio': 1.0}
    body.update(fields)
    response = srv.request('POST', '/v1/hosts', as_='admin', json=body)
    assert response.status_code == 201, response.text
    return response.json()['host']


def schedule(srv, hints, as_='member', **fields):
    body = dict({'resources': {'vcpus': 1}, 'hints': hints}, **fields)
    response = srv.request('POST', '/v1/schedules', as_=as_, json=body)
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def group(srv, name, as_='member'):
    response = srv.request('GET', '/v1/groups/%s' % name, as_=as_)
    assert response.status_code == 200, response.text
    return response.json()['group']


ZONE_ANTI = {'group': 'web', 'group_policy': 'anti-affinity',
             'group_topology_key': 'availability_zone'}


def test_a_group_shows_its_members_domains_and_largest_share(server):
    hosts = [add_host(server, 'h%d' % i, 'az%d' % (i % 2)) for i in range(4)]
    first = schedule(server, dict(ZONE_ANTI, max_per_domain=2),
                     num_instances=3)
    schedule(server, dict(ZONE_ANTI, max_per_domain=2))
    listed = server.request('GET', '/v1/groups', as_='reader').json()
    assert listed == {'groups': [{
        'name': 'web', 'policy': 'anti-affinity',
        'topology_key': 'availability_zone', 'max_per_domain': 2,
        'members': 4}]}
    shown = group(server, 'web', as_='reader')
    assert shown['domains'] == {'az0': 2, 'az1': 2}
    assert shown['largest_domain_share'] == 2
    assert shown['policy_holds'] is True and shown['violations'] == []
    zone_of = {h['id']: h['availability_zone'] for h in hosts}
    assert sorted(
        (m['schedule_id'], m['instance_index'], m['domain'])
        for m in shown['members'] if m['schedule_id'] == first['id']) == [
        (first['id'], a['instance_index'], zone_of[a['host_id']])
        for a in first['allocations']]


def test_a_host_that_moves_zone_breaks_the_policy_and_the_gauge_counts_it(
        server):
    a = add_host(server, 'a', 'az1')
    add_host(server, 'b', 'az2')
    schedule(server, ZONE_ANTI, num_instances=2)
    assert value(scrape(server), 'sora_groups_policy_broken') == 0
    response = server.request('PUT', '/v1/hosts/%s' % a['id'], as_='admin',
                              json={'availability_zone': 'az2'})
    assert response.status_code == 200, response.text
    shown = group(server, 'web')
    assert shown['policy_holds'] is False
    assert shown['domains'] == {'az2': 2}
    assert shown['largest_domain_share'] == 2
    assert [v['reason'] for v in shown['violations']] == [
        'too_many_in_domain']
    assert shown['violations'][0]['domain'] == 'az2'
    assert value(scrape(server), 'sora_groups_policy_broken') == 1


def test_a_host_that_loses_its_rack_or_goes_down_is_a_violation(server):
    a = add_host(server, 'a', 'az1', metadata={'rack': 'r1'})
    b = add_host(server, 'b', 'az1', metadata={'rack': 'r2'})
    schedule(server, {'group': 'db', 'group_policy': 'anti-affinity',
                      'group_topology_key': 'metadata.rack'},
             num_instances=2)
    assert group(server, 'db')['policy_holds'] is True
    response = server.request('PUT', '/v1/hosts/%s' % a['id'], as_='admin',
                              json={'metadata': {}})
    assert response.status_code == 200, response.text
    db = server.database()
    with db.writer() as session:
        session.execute(sa.update(models.Host).where(
            models.Host.id == b['id']).values(
            last_heartbeat=datetime.datetime(2000, 1, 1)))
    db.engine.dispose()
    shown = group(server, 'db')
    assert shown['policy_holds'] is False
    assert sorted((v['reason'], v['host_name'])
                  for v in shown['violations']) == [
        ('host_down', 'b'), ('host_without_domain', 'a')]
    assert {m['host_name']: m['domain'] for m in shown['members']} == {
        'a': None, 'b': 'r2'}
    assert value(scrape(server), 'sora_groups_policy_broken') == 1


def test_soft_policies_never_break_but_their_hosts_may_go_down(server):
    add_host(server, 'a', 'az1')
    schedule(server, {'group': 'soft', 'group_policy': 'soft-anti-affinity',
                      'group_topology_key': 'availability_zone'},
             num_instances=2)
    shown = group(server, 'soft')
    assert shown['domains'] == {'az1': 2}
    assert shown['policy_holds'] is True
    assert value(scrape(server), 'sora_groups_policy_broken') == 0


def test_groups_are_the_projects_own_and_gone_with_their_last_schedule(
        server):
    add_host(server, 'a', 'az1')
    mine = schedule(server, {'group': 'web'})
    schedule(server, {'group': 'theirs'}, as_='other')
    assert [g['name'] for g in server.request(
        'GET', '/v1/groups', as_='member').json()['groups']] == ['web']
    assert_error(server.request('GET', '/v1/groups/theirs', as_='member'),
                 404, 'sora.not_found')
    shown = group(server, 'web')
    assert (shown['policy'], shown['topology_key'],
            shown['max_per_domain']) == (None, None, None)
    assert server.request('DELETE', '/v1/schedules/%s' % mine['id'],
                          as_='member').status_code == 204
    assert_error(server.request('GET', '/v1/groups/web', as_='member'),
                 404, 'sora.not_found')
    assert server.request('GET', '/v1/groups', as_='member').json() == {
        'groups': []}


def test_groups_are_paginated_by_name(server):
    add_host(server, 'a', 'az1', vcpus=8)
    for name in ('c', 'a', 'b'):
        schedule(server, {'group': name})
    first = server.request('GET', '/v1/groups?limit=2', as_='member').json()
    assert [g['name'] for g in first['groups']] == ['a', 'b']
    href = first['links'][0]['href']
    assert 'marker=b' in href
    rest = server.request('GET', '/v1/groups?limit=2&marker=b',
                          as_='member').json()
    assert [g['name'] for g in rest['groups']] == ['c']
    assert 'links' not in rest
    assert_error(server.request('GET', '/v1/groups?marker=nope',
                                as_='member'), 400, 'sora.invalid_request')
    assert_error(server.request('GET', '/v1/groups?sort=name',
                                as_='member'), 400, 'sora.invalid_request')
    assert_error(server.request('GET', '/v1/groups', as_='norole'), 403,
                 'sora.forbidden')
