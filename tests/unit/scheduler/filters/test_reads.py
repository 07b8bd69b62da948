"""Each built-in filter's ``reads``: a request that changes no field it
names gets the same answers (the search for relaxations relies on it)."""

import dataclasses
import random

import numpy as np
import pytest

from sora_api.scheduler import host_table
from sora_api.scheduler import plugins
from sora_api.scheduler import request_spec

GPU = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}
# Values each request field takes in turn: every field of a RequestSpec
# is here, so a new one has to be thought about.
VALUES = {
    'project_id': ['project-a', 'project-b'],
    'vcpus': [0, 1, 4],
    'memory_mb': [0, 512, 3000],
    'disk_gb': [0, 10, 60],
    'num_instances': [1, 3],
    'availability_zone': [None, 'a', 'b'],
    'required_traits': [frozenset(), frozenset(['SSD'])],
    'forbidden_traits': [frozenset(), frozenset(['GPU'])],
    'metadata': [{}, {'rack': 'r1'}],
    'group': [None, 'g'],
    'group_policy': [None, 'affinity', 'anti-affinity', 'soft-affinity',
                     'soft-anti-affinity'],
    'group_hosts': [{}, {'id-h1': 1}, {'id-h2': 2, 'id-h5': 1}],
    'group_topology_key': ['host', 'availability_zone', 'metadata.rack'],
    'max_per_domain': [1, 2],
    'spread': [None, request_spec.Spread('metadata.rack', 1),
               request_spec.Spread('availability_zone', 2)],
    'same_host': [None, {'id-h1'}, {'id-h2', 'id-h3'}],
    'different_host': [None, {'id-h2'}],
    'query': [None, ['>=', '$free_ram_mb', 2000]],
    'ignore_hosts': [frozenset(), frozenset(['h0'])],
    'force_hosts': [frozenset(), frozenset(['h1', 'h3'])],
    'custom_resources': [{}, {'CUSTOM_FPGA': 1}, {'CUSTOM_FPGA': 2}],
    'tolerations': [(), ({'key': 'gpu', 'operator': 'Exists'},)],
    'preferences': [(), ({'weight': 5, 'query': ['=', '$metadata.rack',
                                                  'r2']},)],
}


def test_every_request_field_has_values_to_try():
    assert set(VALUES) == {f.name for f in
                           dataclasses.fields(request_spec.RequestSpec)}


def random_table(rng, make_host):
    return host_table.as_table([make_host(
        f'h{i}', availability_zone=rng.choice('ab'),
        vcpus=rng.choice([2, 8]), memory_mb=rng.choice([1024, 4096]),
        disk_gb=rng.choice([20, 100]), vcpus_used=rng.choice([0, 1]),
        io_ops=rng.choice([0, 8]), instances=rng.choice([0, 50]),
        enabled=rng.random() < .9,
        traits=[t for t in ('SSD', 'GPU') if rng.random() < .5],
        metadata={'rack': rng.choice(['r1', 'r2'])}
        if rng.random() < .8 else {},
        taints=[GPU] if rng.random() < .3 else [],
        projects=['project-b'] if rng.random() < .2 else [],
        inventories={'CUSTOM_FPGA': {
            'total': 2, 'reserved': 0, 'allocation_ratio': 1.0,
            'max_unit': rng.choice([1, 2]), 'used': rng.choice([0, 1])}}
        if rng.random() < .5 else None) for i in range(8)])


def answers(host_filter, table, spec):
    """``(applies, mask or None)``, asked about every row."""
    if not host_filter.applies(spec):
        return False, None
    return True, list(host_filter.filter_mask(
        table, np.ones(len(table), dtype=bool), spec))


@pytest.mark.parametrize('seed', range(20))
def test_a_filter_answers_alike_when_no_field_it_reads_changes(
        conf, make_host, make_spec, seed):
    rng = random.Random(seed)
    table = random_table(rng, make_host)
    spec = make_spec(**{name: rng.choice(values)
                        for name, values in VALUES.items()
                        if name != 'project_id'})
    declared = [f for f in plugins.load_filters(conf) if f.reads is not None]
    assert len(declared) == len(conf.filter_scheduler.enabled_filters)
    for host_filter in declared:
        before = answers(host_filter, table, spec)
        for name, values in VALUES.items():
            if name in host_filter.reads:
                continue
            for value in values:
                changed = dataclasses.replace(spec, **{name: value})
                assert answers(host_filter, table, changed) == before, (
                    host_filter.name, name, value)
