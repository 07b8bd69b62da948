"""TaintTolerationFilter: an untolerated NoSchedule taint removes a host."""

import pytest

from sora_api.scheduler.filters import taint_toleration

GPU = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}
SOFT = {'key': 'spot', 'value': 'true', 'effect': 'PreferNoSchedule'}


@pytest.fixture
def f(conf):
    return taint_toleration.TaintTolerationFilter(conf)


def test_a_host_without_taints_takes_every_request(f, make_host, make_spec,
                                                   keeps):
    assert keeps(f, make_host(), make_spec())
    assert keeps(f, make_host(), make_spec(tolerations=[{'key': 'gpu'}]))


def test_an_untolerated_no_schedule_taint_removes_the_host(
        f, make_host, make_spec, survivors):
    plain, gpu = make_host('plain'), make_host('gpu', taints=[GPU])
    assert survivors(f, [plain, gpu], make_spec()) == [plain]


def test_a_prefer_no_schedule_taint_does_not_filter(f, make_host, make_spec,
                                                    keeps):
    assert keeps(f, make_host(taints=[SOFT]), make_spec())


@pytest.mark.parametrize('toleration', [
    {'key': 'gpu', 'value': 'yes'},
    {'key': 'gpu', 'operator': 'Equal', 'value': 'yes',
     'effect': 'NoSchedule'},
    {'key': 'gpu', 'operator': 'Exists'},
    {'key': 'gpu', 'operator': 'Exists', 'effect': 'NoSchedule'},
    {'operator': 'Exists'},
    {'operator': 'Exists', 'effect': 'NoSchedule'},
])
def test_a_matching_toleration_lets_the_request_on(f, make_host, make_spec,
                                                   keeps, toleration):
    assert keeps(f, make_host(taints=[GPU]),
                 make_spec(tolerations=[toleration]))


@pytest.mark.parametrize('toleration', [
    {'key': 'gpu', 'value': 'no'},
    {'key': 'gpu'},
    {'key': 'fpga', 'operator': 'Exists'},
    {'key': 'gpu', 'operator': 'Exists', 'effect': 'PreferNoSchedule'},
    {'operator': 'Exists', 'effect': 'PreferNoSchedule'},
])
def test_a_toleration_that_does_not_match_leaves_the_host_out(
        f, make_host, make_spec, keeps, toleration):
    assert not keeps(f, make_host(taints=[GPU]),
                     make_spec(tolerations=[toleration]))


def test_a_taint_without_value_is_tolerated_by_equal_without_value(
        f, make_host, make_spec, keeps):
    host = make_host(taints=[{'key': 'maint', 'effect': 'NoSchedule'}])
    assert keeps(f, host, make_spec(tolerations=[{'key': 'maint'}]))
    assert not keeps(f, host, make_spec(
        tolerations=[{'key': 'maint', 'value': 'x'}]))


def test_every_no_schedule_taint_must_be_tolerated(f, make_host, make_spec,
                                                   keeps):
    host = make_host(taints=[GPU, dict(GPU, key='fpga')])
    assert not keeps(f, host, make_spec(tolerations=[
        {'key': 'gpu', 'value': 'yes'}]))
    assert keeps(f, host, make_spec(tolerations=[
        {'key': 'gpu', 'value': 'yes'},
        {'key': 'fpga', 'operator': 'Exists'}]))


def test_many_hosts_share_one_answer_per_set_of_taints(
        f, make_host, make_spec, survivors):
    hosts = [make_host(f'h{i}', taints=[GPU] if i % 3 == 0 else [])
             for i in range(30)]
    kept = survivors(f, hosts, make_spec())
    assert [h.name for h in kept] == [f'h{i}' for i in range(30) if i % 3]
    assert survivors(f, hosts, make_spec(
        tolerations=[{'key': 'gpu', 'operator': 'Exists'}])) == hosts


def test_explain_names_the_untolerated_taints(f, make_host, make_spec):
    from sora_api.scheduler import host_table
    table = host_table.as_table([make_host(taints=[GPU, SOFT])])
    assert f.explain(table, 0, make_spec()) == (
        'has taints the request does not tolerate: gpu=yes:NoSchedule')
