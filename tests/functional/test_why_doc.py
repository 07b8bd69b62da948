"""docs/why-didnt-it-fit.md's examples run, in order, against a real
server, and answer what the guide says they answer."""

import json

from tests import docblocks

GUIDE_BLOCKS = ('why-1', 'why-2', 'why-3', 'why-4', 'why-5', 'why-6')


def _documents(out):
    """Every JSON object that starts a line of ``out``, in order."""
    decoder = json.JSONDecoder()
    found, at = [], 0
    while True:
        at = out.find('{', at)
        if at < 0:
            return found
        if at == 0 or out[at - 1] == '\n':
            document, end = decoder.raw_decode(out, at)
            found.append(document)
            at = end
        else:
            at += 1


def _named(hosts):
    return [(h['host_name'], h['failed_filters'], h['shortfall'])
            for h in hosts]


def test_the_why_guide_runs_against_a_real_server(start_server, tmp_path):
    server = start_server()
    result = docblocks.run_served(server, tmp_path, GUIDE_BLOCKS)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    ssd, apart, capacity, capped, anti = _documents(out)

    [error] = ssd['errors']
    assert error['code'] == 'sora.no_valid_host'
    assert _named(error['nearest']) == [
        ('db-1', ['AvailabilityZoneFilter'], {}),
        ('web-1', ['RamFilter'], {'MEMORY_MB': 8192}),
        ('web-2', ['RamFilter', 'TraitsFilter'], {'MEMORY_MB': 36864})]
    assert error['relaxations'] == [
        {'field': 'resources.MEMORY_MB', 'to': 40960, 'hosts': 1},
        {'field': 'availability_zone', 'to': 'az2', 'hosts': 1}]
    assert apart['errors'][0]['relaxations'] == [
        {'field': 'availability_zone', 'to': 'az1', 'hosts': 2},
        {'field': 'hints.group_policy', 'to': 'soft-anti-affinity',
         'hosts': 1},
        {'field': 'hints.max_per_domain', 'to': 2, 'hosts': 1}]
    assert 'Nearest hosts:' in out and '| resources.MEMORY_MB | 40960 ' in out
    assert 'No valid host was found.' in result.stderr
    assert capacity == {'capacity': {
        'instances': 13, 'by_availability_zone': {'az1': 5, 'az2': 8},
        'limited_by': {'MEMORY_MB': 1, 'VCPU': 2}, 'quota_remaining': None}}
    assert (capped['instances'], capped['quota_remaining']) == (5, 5)
    assert (anti['instances'], anti['quota_remaining']) == (3, 5)
