"""SameHostFilter and DifferentHostFilter, with Nova's semantics."""

from sora_api.scheduler.filters import affinity


def test_same_host_absent_passes_every_host(conf, make_host, make_spec):
    f = affinity.SameHostFilter(conf)
    assert f.host_passes(make_host('a'), make_spec(same_host=None))


def test_same_host_keeps_only_the_named_hosts(conf, make_host, make_spec):
    f = affinity.SameHostFilter(conf)
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    spec = make_spec(same_host={'id-a', 'id-c'})
    assert f.filter_all([a, b, c], spec) == [a, c]


def test_same_host_naming_schedules_without_hosts_passes_none(
        conf, make_host, make_spec):
    f = affinity.SameHostFilter(conf)
    assert f.filter_all([make_host(), make_host()],
                        make_spec(same_host=set())) == []


def test_different_host_drops_the_named_hosts(conf, make_host, make_spec):
    f = affinity.DifferentHostFilter(conf)
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    spec = make_spec(different_host={'id-b'})
    assert f.filter_all([a, b, c], spec) == [a, c]


def test_different_host_absent_or_empty_passes_every_host(
        conf, make_host, make_spec):
    f = affinity.DifferentHostFilter(conf)
    hosts = [make_host(), make_host()]
    assert f.filter_all(hosts, make_spec(different_host=None)) == hosts
    assert f.filter_all(hosts, make_spec(different_host=set())) == hosts
