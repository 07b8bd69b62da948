"""``GET /metrics``: capacity and usage per resource class and zone."""

from tests.functional.test_metrics import scrape
from tests.functional.test_metrics import value


def created(server, path, body, as_='admin'):
    response = server.request('POST', path, as_=as_, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def gauges(samples, name):
    """``{(resource_class, zone): value}`` of gauge ``name``."""
    found = {}
    for (sample, labels), number in samples.items():
        if sample == name:
            labels = dict(labels)
            found[(labels['resource_class'],
                   labels['availability_zone'])] = number
    return found


def test_capacity_and_usage_by_class_and_zone(start_server):
    server = start_server()
    assert server.request('PUT', '/v1/resource_classes/CUSTOM_GPU',
                          as_='admin').status_code == 201
    created(server, '/v1/hosts', {
        'name': 'gpu-1', 'availability_zone': 'az1', 'vcpus': 8,
        'memory_mb': 4096, 'disk_gb': 100, 'cpu_allocation_ratio': 2.0,
        'reserved_memory_mb': 512,
        'inventories': {'CUSTOM_GPU': {'total': 4, 'reserved': 1}}})
    created(server, '/v1/hosts', {
        'name': 'gpu-2', 'availability_zone': 'az1', 'vcpus': 4,
        'memory_mb': 2048, 'disk_gb': 100, 'cpu_allocation_ratio': 1.0,
        'inventories': {'CUSTOM_GPU': {'total': 2,
                                       'allocation_ratio': 1.5}}})
    created(server, '/v1/hosts', {
        'name': 'cpu-1', 'availability_zone': 'az2', 'vcpus': 2,
        'memory_mb': 1024, 'disk_gb': 10, 'cpu_allocation_ratio': 1.0,
        'ram_allocation_ratio': 1.0})
    created(server, '/v1/schedules', {
        'resources': {'vcpus': 2, 'memory_mb': 256, 'CUSTOM_GPU': 1},
        'num_instances': 2, 'availability_zone': 'az1'}, as_='member')
    created(server, '/v1/schedules', {
        'resources': {'vcpus': 1, 'disk_gb': 5},
        'availability_zone': 'az2'}, as_='member')

    samples = scrape(server)
    capacity = gauges(samples, 'sora_resource_capacity')
    used = gauges(samples, 'sora_resource_used')
    assert capacity == {
        ('VCPU', 'az1'): 8 * 2.0 + 4 * 1.0, ('VCPU', 'az2'): 2,
        ('MEMORY_MB', 'az1'): 4096 * 1.5 - 512 + 2048 * 1.5,
        ('MEMORY_MB', 'az2'): 1024, ('DISK_GB', 'az1'): 200,
        ('DISK_GB', 'az2'): 10,
        ('CUSTOM_GPU', 'az1'): (4 - 1) + 2 * 1.5}
    assert used == {
        ('VCPU', 'az1'): 4, ('VCPU', 'az2'): 1, ('MEMORY_MB', 'az1'): 512,
        ('MEMORY_MB', 'az2'): 0, ('DISK_GB', 'az1'): 0, ('DISK_GB', 'az2'): 5,
        ('CUSTOM_GPU', 'az1'): 2}


def test_gauges_follow_releases_and_removed_hosts(start_server):
    server = start_server()
    host = created(server, '/v1/hosts', {
        'name': 'only', 'availability_zone': 'az9', 'vcpus': 4,
        'memory_mb': 1024, 'disk_gb': 10})['host']
    schedule = created(server, '/v1/schedules', {
        'resources': {'vcpus': 3}}, as_='member')['schedule']
    assert value(scrape(server), 'sora_resource_used',
                 resource_class='VCPU', availability_zone='az9') == 3
    assert server.request('DELETE', '/v1/schedules/' + schedule['id'],
                          as_='member').status_code == 204
    assert value(scrape(server), 'sora_resource_used',
                 resource_class='VCPU', availability_zone='az9') == 0
    assert server.request('DELETE', '/v1/hosts/' + host['id'],
                          as_='admin').status_code == 204
    samples = scrape(server)
    assert gauges(samples, 'sora_resource_capacity') == {}
