"""``[DEFAULT] log_format``: text lines, or one JSON object per line."""

import json

from tests.functional.server import wait_for


def records(server):
    """Every line of the server's log, each parsed as JSON (or failing)."""
    return [json.loads(line) for line in server.log().splitlines()
            if line.strip()]


def access_records(server):
    return [r for r in records(server) if r['name'] == 'sora_api.access']


def test_json_logs_carry_the_request_id_on_every_access_line(start_server):
    server = start_server({'DEFAULT': {'log_format': 'json'}})
    responses = [
        server.request('GET', '/'),
        server.request('GET', '/v1/hosts', as_='admin'),
        server.request('GET', '/v1/hosts'),                      # 401
        server.request('POST', '/v1/hosts', as_='admin', data='{'),  # 400
        server.request('GET', '/no/such/path', as_='admin'),     # 404
    ]
    ids = [r.headers['X-OpenStack-Request-Id'] for r in responses]
    # Access lines are written when the server closes each body.
    wait_for(lambda: len([r for r in access_records(server)
                           if r['args']['path'] != '/healthcheck'])
              >= len(ids))
    logged = {}
    for record in access_records(server):
        assert record['context']['request_id'] == record['args']['request_id']
        logged[record['args']['request_id']] = record
    for response, request_id in zip(responses, ids):
        record = logged[request_id]
        assert record['args']['status'] == str(response.status_code)
        assert request_id in record['message']
    # Every other line is JSON too (records() would have raised).
    assert any('Serving on' in r['message'] for r in records(server))


def test_json_logs_carry_the_request_id_on_lines_below_the_api(
        start_server):
    server = start_server({'DEFAULT': {'log_format': 'json',
                                       'debug': 'true'}})
    response = server.request('POST', '/v1/hosts', as_='admin', json={
        'name': 'logged-1', 'vcpus': 4, 'memory_mb': 1024, 'disk_gb': 10})
    assert response.status_code == 201
    response = server.request('POST', '/v1/schedules', as_='member', json={
        'resources': {'vcpus': 1}})
    assert response.status_code == 201
    request_id = response.headers['X-OpenStack-Request-Id']
    wait_for(lambda: any(r['args']['request_id'] == request_id
                          for r in access_records(server)))
    scheduler_lines = [r for r in records(server)
                       if r['name'].startswith('sora_api.scheduler')]
    assert scheduler_lines, 'the scheduler logged nothing at DEBUG'
    for record in scheduler_lines:
        assert record['context']['request_id'] == request_id


def test_text_logs_are_the_default(start_server):
    server = start_server()
    response = server.request('GET', '/')
    request_id = response.headers['X-OpenStack-Request-Id']
    line = wait_for(lambda: [ln for ln in server.log().splitlines()
                              if 'request_id: ' + request_id in ln])[0]
    assert not line.lstrip().startswith('{')
    assert 'GET / status: 200' in line
