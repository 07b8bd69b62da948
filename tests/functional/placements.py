"""What the tests of changing placements (drain, resize, move, holds)
and of concurrent claims share: hosts of 1.0 CPU allocation ratio,
schedules of some vCPUs, and what they read back, on a server of the
test's own."""


def make_host(srv, name, vcpus=8, memory_mb=8192):
    response = srv.request('POST', '/v1/hosts', as_='admin', json={
        'name': name, 'vcpus': vcpus, 'memory_mb': memory_mb,
        'disk_gb': 100, 'cpu_allocation_ratio': 1.0})
    assert response.status_code == 201, response.text
    return response.json()['host']


def create(srv, vcpus=2, num_instances=1, **extra):
    response = srv.request('POST', '/v1/schedules', as_='member', json=dict(
        {'resources': {'vcpus': vcpus}, 'num_instances': num_instances},
        **extra))
    assert response.status_code == 201, response.text
    return response.json()['schedule']


def fill_up(srv, vcpus, room):
    """Schedule single instances of ``vcpus`` one at a time until a 409
    says no host has room (at most ``room`` + 1 tries); returns how many
    were placed."""
    placed = 0
    for _ in range(room + 1):
        response = srv.request('POST', '/v1/schedules', as_='member',
                               json={'resources': {'vcpus': vcpus}})
        if response.status_code == 409:
            break
        assert response.status_code == 201, response.text
        placed += 1
    return placed


def host_view(srv, host):
    return srv.request('GET', '/v1/hosts/' + host['id'],
                       as_='admin').json()['host']


def schedules(srv):
    return srv.request('GET', '/v1/schedules', as_='member').json()[
        'schedules']
