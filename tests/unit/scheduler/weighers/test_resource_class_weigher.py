"""ResourceClassWeigher: free amount of chosen classes, per multiplier."""

import numpy as np
import pytest

from sora_api import exception
from sora_api.scheduler import host_table
from sora_api.scheduler import weighers
from sora_api.scheduler.weighers import resource_class

GPU, FPGA = 'CUSTOM_GPU_A100', 'CUSTOM_FPGA'


def _inventory(total):
    return {'total': total, 'reserved': 0, 'allocation_ratio': 1.0,
            'max_unit': total, 'used': 0}


@pytest.fixture
def hosts(make_host):
    return [make_host('plain'),
            make_host('gpu', inventories={GPU: _inventory(8)}),
            make_host('both', inventories={GPU: _inventory(4),
                                           FPGA: _inventory(2)})]


def _weigher(conf, multipliers):
    conf.set_override('resource_class_weight_multipliers', multipliers,
                      group='filter_scheduler')
    return resource_class.ResourceClassWeigher(conf)


def test_a_negative_multiplier_keeps_requests_off_the_gpu_hosts(
        conf, hosts, make_spec):
    weigher = _weigher(conf, {GPU: '-1.0'})
    ranked = weighers.weigh_hosts([weigher], hosts, make_spec())
    assert [w.host.name for w in ranked] == ['plain', 'both', 'gpu']
    # The contract's share: -1.0 times the normalised free GPUs (0, 4, 8).
    assert [w.weights['ResourceClassWeigher'] for w in ranked] == [
        0.0, -0.5, -1.0]
    assert [w.weight for w in ranked] == [0.0, -0.5, -1.0]


def test_one_positive_class_shows_its_normalised_free_amount(
        conf, hosts, make_spec):
    weigher = _weigher(conf, {GPU: '2.0'})
    ranked = weighers.weigh_hosts([weigher], hosts, make_spec())
    assert [w.host.name for w in ranked] == ['gpu', 'both', 'plain']
    assert [w.weights['ResourceClassWeigher'] for w in ranked] == [
        2.0, 1.0, 0.0]


def test_classes_are_normalised_each_then_summed(conf, hosts, make_spec):
    weigher = _weigher(conf, {GPU: '1.0', FPGA: '2.0'})
    assert weigher.weight_multiplier() == 3.0
    table = host_table.HostTable.from_host_states(hosts)
    rows = np.arange(3)
    raw = weigher.weigh_rows(table, rows, make_spec())
    # GPU free 0, 8, 4 -> 0, 1, 0.5; FPGA free 0, 0, 2 -> 0, 0, 1.
    assert raw.tolist() == [0.0, 1.0, 0.5 + 2.0]


def test_two_classes_rank_by_the_sum_of_multiplier_times_normalised_free(
        conf, hosts, make_spec):
    weigher = _weigher(conf, {GPU: '-1.0', FPGA: '2.0'})
    ranked = weighers.weigh_hosts([weigher], hosts, make_spec())
    # Contract sums: plain 0, gpu -1.0, both -0.5 + 2.0 = 1.5.
    assert [w.host.name for w in ranked] == ['both', 'plain', 'gpu']
    # The framework rescales the sums [-1.0, 0, 1.5] to [0, 3.0].
    shares = [w.weights['ResourceClassWeigher'] for w in ranked]
    assert np.allclose(shares, [3.0, 1.2, 0.0])


def test_a_zero_multiplier_leaves_one_class_exact(conf, hosts, make_spec):
    weigher = _weigher(conf, {GPU: '-1.0', FPGA: '0'})
    ranked = weighers.weigh_hosts([weigher], hosts, make_spec())
    assert [w.weights['ResourceClassWeigher'] for w in ranked] == [
        0.0, -0.5, -1.0]


def test_without_multipliers_it_counts_for_nothing(conf, hosts, make_spec):
    weigher = _weigher(conf, {})
    assert weigher.weight_multiplier() == 0
    ranked = weighers.weigh_hosts([weigher], hosts, make_spec())
    assert {w.weights['ResourceClassWeigher'] for w in ranked} == {0.0}


@pytest.mark.parametrize('multipliers', [{'GPU': '1.0'},
                                         {GPU: 'lots'}])
def test_a_bad_multiplier_stops_the_start(conf, multipliers):
    with pytest.raises(exception.ConfigurationError) as error:
        _weigher(conf, multipliers)
    assert 'resource_class_weight_multipliers' in str(error.value)
