"""ComputeFilter: only enabled hosts that are up get new instances."""

import pytest

from sora_api.scheduler.filters import compute


@pytest.mark.parametrize('enabled, up, passes', [
    (True, True, True), (False, True, False), (True, False, False),
    (False, False, False)])
def test_host_must_be_enabled_and_up(
        conf, make_host, make_spec, enabled, up, passes, keeps):
    f = compute.ComputeFilter(conf)
    host = make_host(enabled=enabled, up=up)
    assert keeps(f, host, make_spec()) is passes
