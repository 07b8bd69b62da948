"""``[scheduler] driver`` and plugin names: chosen by name, loud when wrong."""

import collections

import pytest


def placed(srv, **fields):
    body = {'resources': {'memory_mb': 1024}}
    body.update(fields)
    response = srv.request('POST', '/v1/schedules', as_='member', json=body)
    assert response.status_code == 201, response.text
    return [a['host_name'] for a in response.json()['schedule']['allocations']]


def test_chance_picks_among_enabled_hosts_with_room_only(start_server,
                                                         make_host):
    srv = start_server({'scheduler': {'driver': 'chance'}})
    for name in ('a', 'b'):
        make_host(srv, name=name, memory_mb=65536, ram_allocation_ratio=1.0)
    make_host(srv, name='full', memory_mb=512, ram_allocation_ratio=1.0)
    make_host(srv, name='disabled', memory_mb=65536, enabled=False)
    chosen = placed(srv, num_instances=40)
    # The chance of 40 fair picks all landing on one of two hosts is 2**-39.
    assert set(chosen) == {'a', 'b'}

    response = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'memory_mb': 1024}, 'dry_run': True})
    assert response.status_code == 200, response.text
    ranked = response.json()['candidates']
    assert sorted(c['host_name'] for c in ranked) == ['a', 'b']
    assert {c['weight'] for c in ranked} == {0.0}


def test_chance_answers_409_when_no_host_has_room(start_server, make_host):
    srv = start_server({'scheduler': {'driver': 'chance'}})
    host = make_host(srv, memory_mb=1024, ram_allocation_ratio=1.0)
    response = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'memory_mb': 2048}})
    assert response.status_code == 409
    assert response.json()['errors'][0]['code'] == 'sora.no_valid_host'
    assert srv.usage(host['id'])['instances'] == 0


def test_memory_picks_the_host_with_the_most_free_ram_each_time(
        start_server, make_host):
    # ram_weight_multiplier cannot turn the memory driver into a stacker.
    srv = start_server({'scheduler': {'driver': 'memory'},
                        'filter_scheduler': {'ram_weight_multiplier': -1}})
    big = make_host(srv, name='big', memory_mb=10000,
                    ram_allocation_ratio=1.0)
    make_host(srv, name='small', memory_mb=4096, ram_allocation_ratio=1.0)
    # Free RAM of big: 10000, 7952, 5904, 3856 < small's 4096.
    assert placed(srv, resources={'memory_mb': 2048},
                  num_instances=4) == ['big', 'big', 'big', 'small']
    assert srv.usage(big['id'])['memory_mb_used'] == 6144
    # Separate requests see the claims of the earlier ones.
    assert placed(srv, resources={'memory_mb': 1024}) == ['big']


@pytest.mark.parametrize('group, option, value, name', [
    ('scheduler', 'driver', 'no_such_driver', 'no_such_driver'),
    ('filter_scheduler', 'enabled_filters', 'RamFilter,RamFiltr',
     'RamFiltr'),
    ('filter_scheduler', 'weighers', 'RAMWeigher,BogusWeigher',
     'BogusWeigher'),
])
def test_an_unknown_plugin_name_stops_the_server_with_a_message_naming_it(
        start_server, group, option, value, name):
    # noauth: no tokens to create for a server that must not start.
    with pytest.raises(RuntimeError) as raised:
        start_server({group: {option: value},
                      'api': {'auth_strategy': 'noauth'}})
    message = str(raised.value)
    assert 'sora-api exited with 2' in message
    assert name in message
    assert '[%s] %s' % (group, option) in message
    assert 'Traceback' not in message


def test_the_default_driver_is_the_filter_scheduler(start_server, make_host):
    srv = start_server()
    for name in ('a', 'b', 'c'):
        make_host(srv, name=name, memory_mb=8192)
    # Its default weighers spread; chance or memory would not report them.
    response = srv.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'memory_mb': 1024}, 'dry_run': True})
    weights = response.json()['candidates'][0]['weights']
    assert {'RAMWeigher', 'CPUWeigher', 'DiskWeigher'} <= set(weights)
    chosen = placed(srv, num_instances=3)
    assert collections.Counter(chosen) == {'a': 1, 'b': 1, 'c': 1}
