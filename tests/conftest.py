"""Shared test settings: a fresh ConfigOpts per test, never a global one."""

import pytest

from sora_api import conf as sora_conf


@pytest.fixture
def conf():
    """A freshly parsed config with defaults; tests override as they need."""
    return sora_conf.new_config([], default_config_files=[])
