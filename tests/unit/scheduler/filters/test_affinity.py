"""SameHostFilter and DifferentHostFilter, with Nova's semantics."""

from sora_api.scheduler.filters import affinity


def test_same_host_absent_passes_every_host(conf, make_host, make_spec, keeps):
    f = affinity.SameHostFilter(conf)
    assert keeps(f, make_host('a'), make_spec(same_host=None))


def test_same_host_keeps_only_the_named_hosts(
        conf, make_host, make_spec, survivors):
    f = affinity.SameHostFilter(conf)
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    spec = make_spec(same_host={'id-a', 'id-c'})
    assert survivors(f, [a, b, c], spec) == [a, c]


def test_same_host_naming_schedules_without_hosts_passes_none(
        conf, make_host, make_spec, survivors):
    f = affinity.SameHostFilter(conf)
    assert survivors(f, [make_host(), make_host()],
                        make_spec(same_host=set())) == []


def test_different_host_drops_the_named_hosts(
        conf, make_host, make_spec, survivors):
    f = affinity.DifferentHostFilter(conf)
    a, b, c = make_host('a'), make_host('b'), make_host('c')
    spec = make_spec(different_host={'id-b'})
    assert survivors(f, [a, b, c], spec) == [a, c]


def test_different_host_absent_or_empty_passes_every_host(
        conf, make_host, make_spec, survivors):
    f = affinity.DifferentHostFilter(conf)
    hosts = [make_host(), make_host()]
    assert survivors(f, hosts, make_spec(different_host=None)) == hosts
    assert survivors(f, hosts, make_spec(different_host=set())) == hosts
