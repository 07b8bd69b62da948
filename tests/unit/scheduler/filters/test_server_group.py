"""Hard server-group policies: affinity and anti-affinity."""

import pytest

from sora_api.scheduler.filters import server_group


def test_affinity_first_member_goes_anywhere(
        conf, make_host, make_spec, survivors):
    f = server_group.ServerGroupAffinityFilter(conf)
    hosts = [make_host('a'), make_host('b')]
    spec = make_spec(group='web', group_policy='affinity', group_hosts={})
    assert survivors(f, hosts, spec) == hosts


def test_affinity_keeps_only_hosts_with_members(
        conf, make_host, make_spec, survivors):
    f = server_group.ServerGroupAffinityFilter(conf)
    a, b = make_host('a'), make_host('b')
    spec = make_spec(group='web', group_policy='affinity',
                     group_hosts={'id-b': 2})
    assert survivors(f, [a, b], spec) == [b]


def test_anti_affinity_drops_hosts_with_members(
        conf, make_host, make_spec, survivors):
    f = server_group.ServerGroupAntiAffinityFilter(conf)
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    spec = make_spec(group='web', group_policy='anti-affinity',
                     group_hosts={'id-a': 1, 'id-c': 1})
    assert survivors(f, [a, b, c], spec) == [b]


@pytest.mark.parametrize('policy', [
    None, 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'])
def test_affinity_filter_ignores_other_policies(
        conf, make_host, make_spec, policy, keeps):
    f = server_group.ServerGroupAffinityFilter(conf)
    spec = make_spec(group='web', group_policy=policy,
                     group_hosts={'id-b': 1})
    assert keeps(f, make_host('a'), spec)


@pytest.mark.parametrize('policy', [
    None, 'affinity', 'soft-affinity', 'soft-anti-affinity'])
def test_anti_affinity_filter_ignores_other_policies(
        conf, make_host, make_spec, policy, keeps):
    f = server_group.ServerGroupAntiAffinityFilter(conf)
    spec = make_spec(group='web', group_policy=policy,
                     group_hosts={'id-a': 1})
    assert keeps(f, make_host('a'), spec)
