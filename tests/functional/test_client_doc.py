"""docs/client.md's Python example runs as printed, and runs again."""

import subprocess
import sys

from tests import docblocks


def test_the_client_example_places_three_instances_every_time(
        start_server, tmp_path):
    server = start_server()
    state = tmp_path / 'state'
    state.mkdir()
    (state / 'admin-token').write_text(server.tokens['admin'] + '\n')
    (state / 'member-token').write_text(server.tokens['member'] + '\n')
    script = docblocks.block('client-example').replace(
        "'http://127.0.0.1:8770'", repr(server.url))
    for _ in range(2):
        result = subprocess.run([sys.executable, '-c', script], cwd=tmp_path,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[-1] == (
            "placed on ['compute-1', 'compute-2', 'compute-3']")
    hosts = server.request('GET', '/v1/hosts', as_='admin').json()['hosts']
    assert sorted(h['name'] for h in hosts) == [
        'compute-1', 'compute-2', 'compute-3']
    assert all(h['vcpus_used'] == 0 for h in hosts)
    assert server.request('GET', '/v1/schedules',
                          as_='member').json()['schedules'] == []
