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
    # The sum is final: the framework adds it as it is.
    assert weigher.weight_multiplier() == 1.0
    assert (weigher.minval, weigher.maxval) == (0.0, 1.0)
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
    # Shown as they are, not rescaled to [0, 3.0].
    assert [w.weights['ResourceClassWeigher'] for w in ranked] == [
        1.5, 0.0, -1.0]
    assert [w.weight for w in ranked] == [1.5, 0.0, -1.0]


class _Ram(weighers.BaseHostWeigher):
    """Free RAM, as RAMWeigher, with its own multiplier."""

    def __init__(self, conf, multiplier):
        super().__init__(conf)
        self.name = 'RAMWeigher'
        self.multiplier = multiplier

    def weight_multiplier(self):
        return self.multiplier

    def weigh_rows(self, table, rows, spec):
        return table.free('memory_mb')[rows]


def test_the_sum_weighs_against_the_other_weighers_unscaled(
        conf, make_host, make_spec):
    # Two classes that no host has both of: the sums are -1.0, -1.0 and
    # 0. Rescaled to [0, 2.0] (the multipliers' sizes), the plain host
    # would gain 2.0 and win against RAM's 1.5; the contract's shares
    # leave it 1.0 behind.
    hosts = [make_host('gpu', memory_mb=8192,
                       inventories={GPU: _inventory(8)}),
             make_host('fpga', memory_mb=8192,
                       inventories={FPGA: _inventory(2)}),
             make_host('plain', memory_mb=4096)]
    chain = [_Ram(conf, 1.5), _weigher(conf, {GPU: '-1.0', FPGA: '-1.0'})]
    ranked = weighers.weigh_hosts(chain, hosts, make_spec())
    assert [w.host.name for w in ranked] == ['gpu', 'fpga', 'plain']
    assert [w.weights for w in ranked] == [
        {'RAMWeigher': 1.5, 'ResourceClassWeigher': -1.0},
        {'RAMWeigher': 1.5, 'ResourceClassWeigher': -1.0},
        {'RAMWeigher': 0.0, 'ResourceClassWeigher': 0.0}]
    assert [w.weight for w in ranked] == [0.5, 0.5, 0.0]


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
