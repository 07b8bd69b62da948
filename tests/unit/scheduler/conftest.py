"""Fixtures of the scheduler unit tests: config, host and request builders."""

import itertools

from oslo_config import cfg
import pytest

from sora_api import conf as sora_conf
from sora_api.scheduler import host_state
from sora_api.scheduler import request_spec


@pytest.fixture
def conf():
    """A fresh, fully registered config that reads no file."""
    config = cfg.ConfigOpts()
    sora_conf.register_opts(config)
    config([], default_config_files=[])
    yield config
    config.reset()


@pytest.fixture
def make_host():
    """Build a HostState: 8 vCPUs, 4096 MB, 100 GB, ratios 1.0, by default.

    The id is ``id-<name>`` so tests can name group and same-host members.
    """
    counter = itertools.count(1)

    def build(name=None, **fields):
        name = name or f'host{next(counter)}'
        values = {'id': f'id-{name}', 'name': name,
                  'availability_zone': 'nova', 'vcpus': 8, 'memory_mb': 4096,
                  'disk_gb': 100}
        values.update(fields)
        return host_state.HostState(**values)
    return build


@pytest.fixture
def make_spec():
    """Build a RequestSpec for 1 vCPU, 512 MB, 10 GB unless told otherwise."""
    def build(**fields):
        values = {'project_id': 'project-a', 'vcpus': 1, 'memory_mb': 512,
                  'disk_gb': 10}
        values.update(fields)
        return request_spec.RequestSpec(**values)
    return build


@pytest.fixture
def chi_square():
    """Pearson's statistic of ``counts`` against a uniform distribution."""
    def statistic(counts):
        total = sum(counts)
        expected = total / len(counts)
        return sum((seen - expected) ** 2 / expected for seen in counts)
    return statistic
