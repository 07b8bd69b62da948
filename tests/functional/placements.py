"""What the tests of changing placements (drain, resize, move, holds)
share: hosts of 1.0 CPU allocation ratio, schedules of some vCPUs, and
what they read back, on a server of the test's own."""


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


def host_view(srv, host):
    return srv.request('GET', '/v1/hosts/' + host['id'],
                       as_='admin').json()['host']


def schedules(srv):
    return srv.request('GET', '/v1/schedules', as_='member').json()[
        'schedules']
