"""Soft server-group weighers count the group's members on each host."""

import pytest

from sora_api.scheduler import weighers
from sora_api.scheduler.weighers import server_group


@pytest.fixture
def hosts(make_host):
    return [make_host('a'), make_host('b'), make_host('c')]


GROUP_HOSTS = {'id-a': 1, 'id-b': 3}


def test_soft_affinity_prefers_the_host_with_most_members(conf, hosts,
                                                          make_spec, raw):
    weigher = server_group.ServerGroupSoftAffinityWeigher(conf)
    spec = make_spec(group='g', group_policy='soft-affinity',
                     group_hosts=dict(GROUP_HOSTS))
    assert raw(weigher, hosts, spec) == [1, 3, 0]
    weighed = weighers.weigh_hosts([weigher], hosts, spec)
    assert [w.host.name for w in weighed] == ['b', 'a', 'c']


def test_soft_anti_affinity_prefers_the_host_with_fewest_members(
        conf, hosts, make_spec, raw):
    weigher = server_group.ServerGroupSoftAntiAffinityWeigher(conf)
    spec = make_spec(group='g', group_policy='soft-anti-affinity',
                     group_hosts=dict(GROUP_HOSTS))
    assert raw(weigher, hosts, spec) == [-1, -3, 0]
    weighed = weighers.weigh_hosts([weigher], hosts, spec)
    assert [w.host.name for w in weighed] == ['c', 'a', 'b']
    assert weighed[0].weights == {'ServerGroupSoftAntiAffinityWeigher': 1.0}


@pytest.mark.parametrize('weigher_class, other_policies', [
    (server_group.ServerGroupSoftAffinityWeigher,
     [None, 'affinity', 'anti-affinity', 'soft-anti-affinity']),
    (server_group.ServerGroupSoftAntiAffinityWeigher,
     [None, 'affinity', 'anti-affinity', 'soft-affinity']),
])
def test_weigher_is_neutral_unless_the_policy_is_its_own(
        conf, hosts, make_spec, weigher_class, other_policies, raw):
    weigher = weigher_class(conf)
    for policy in other_policies:
        spec = make_spec(group_policy=policy, group_hosts=dict(GROUP_HOSTS))
        assert raw(weigher, hosts, spec) == [0, 0, 0]


def test_multipliers_come_from_their_options(conf):
    conf.set_override('soft_affinity_weight_multiplier', 2.5,
                      group='filter_scheduler')
    conf.set_override('soft_anti_affinity_weight_multiplier', 4.0,
                      group='filter_scheduler')
    assert server_group.ServerGroupSoftAffinityWeigher(
        conf).weight_multiplier() == 2.5
    assert server_group.ServerGroupSoftAntiAffinityWeigher(
        conf).weight_multiplier() == 4.0
