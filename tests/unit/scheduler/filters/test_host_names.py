"""IgnoreHostsFilter and ForceHostsFilter match hosts by name."""

from sora_api.scheduler.filters import host_names


def test_ignore_hosts_drops_the_named_hosts(
        conf, make_host, make_spec, survivors):
    f = host_names.IgnoreHostsFilter(conf)
    a, b = make_host('a'), make_host('b')
    assert survivors(f, [a, b], make_spec(ignore_hosts=['a'])) == [b]


def test_ignore_hosts_empty_passes_every_host(
        conf, make_host, make_spec, survivors):
    f = host_names.IgnoreHostsFilter(conf)
    hosts = [make_host('a'), make_host('b')]
    assert survivors(f, hosts, make_spec()) == hosts


def test_force_hosts_keeps_only_the_named_hosts(
        conf, make_host, make_spec, survivors):
    f = host_names.ForceHostsFilter(conf)
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    assert survivors(f, [a, b, c], make_spec(force_hosts=['c', 'a'])) == [
        a, c]


def test_force_hosts_empty_passes_every_host(
        conf, make_host, make_spec, survivors):
    f = host_names.ForceHostsFilter(conf)
    hosts = [make_host('a'), make_host('b')]
    assert survivors(f, hosts, make_spec()) == hosts


def test_force_hosts_matches_names_not_ids(
        conf, make_host, make_spec, survivors):
    f = host_names.ForceHostsFilter(conf)
    assert survivors(f, [make_host('a')], make_spec(force_hosts=['id-a'])) \
        == []
