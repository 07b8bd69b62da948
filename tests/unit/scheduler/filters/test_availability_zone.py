"""AvailabilityZoneFilter: a named zone keeps only its hosts."""

from sora_api.scheduler.filters import availability_zone


def test_request_without_zone_passes_every_host(
        conf, make_host, make_spec, survivors):
    f = availability_zone.AvailabilityZoneFilter(conf)
    hosts = [make_host(availability_zone='az1'),
             make_host(availability_zone=None)]
    assert survivors(f, hosts, make_spec()) == hosts


def test_request_with_zone_keeps_only_that_zone(
        conf, make_host, make_spec, survivors):
    f = availability_zone.AvailabilityZoneFilter(conf)
    in_zone = make_host(availability_zone='az1')
    hosts = [in_zone, make_host(availability_zone='az2'),
             make_host(availability_zone=None)]
    assert survivors(f, hosts, make_spec(availability_zone='az1')) == [
        in_zone]
