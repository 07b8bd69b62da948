"""The Python client's hold, confirm, move, resize and drain, against a
real server."""

import pytest

from sora_api.client import Client
from sora_api.client import exceptions


@pytest.fixture
def server(start_server):
    return start_server()


def client(srv, who):
    return Client(srv.url, srv.tokens[who], timeout=10)


def test_hold_confirm_move_resize_and_drain_through_the_client(server):
    with client(server, 'admin') as admin, client(server, 'member') as me:
        first = admin.hosts.create(name='h1', vcpus=8, memory_mb=8192,
                                   disk_gb=100, cpu_allocation_ratio=1.0)
        schedule = me.schedules.create({'vcpus': 2}, num_instances=2,
                                       hold_seconds=600)
        assert schedule['status'] == 'held'
        admin.hosts.create(name='h2', vcpus=8, memory_mb=8192, disk_gb=100,
                           cpu_allocation_ratio=1.0)
        with pytest.raises(exceptions.PreconditionFailed):
            me.schedules.confirm(schedule['id'], if_match=7)
        confirmed = me.schedules.confirm(schedule['id'], if_match=1)
        assert confirmed['status'] == 'active'
        with pytest.raises(exceptions.Conflict):
            me.schedules.confirm(schedule['id'])
        moved = me.schedules.move(schedule['id'], instance_index=0)
        assert moved['allocations'][0]['host_name'] == 'h2'
        resized = me.schedules.resize(schedule['id'], {'vcpus': 3},
                                      if_match=moved['generation'])
        assert resized['resources'] == {'vcpus': 3}
        plan = admin.hosts.drain(first['id'], dry_run=True)
        assert [m['to_host'] for m in plan['moves']] == ['h2']
        done = admin.hosts.drain(first['id'], reason='maintenance')
        assert done['moves'] == plan['moves'] and done['stuck'] == []
        assert admin.hosts.get(first['id'])['disabled_reason'] == (
            'maintenance')
        admin.hosts.delete(first['id'])
