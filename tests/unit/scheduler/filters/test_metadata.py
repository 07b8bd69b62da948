"""MetadataFilter: every requested key=value must be on the host."""

from sora_api.scheduler.filters import metadata


def test_no_metadata_requested_passes_every_host(
        conf, make_host, make_spec, keeps):
    f = metadata.MetadataFilter(conf)
    assert keeps(f, make_host(metadata={}), make_spec())


def test_every_pair_must_match(conf, make_host, make_spec, keeps):
    f = metadata.MetadataFilter(conf)
    spec = make_spec(metadata={'tier': 'gold', 'rack': 'r1'})
    assert keeps(f,
        make_host(metadata={'tier': 'gold', 'rack': 'r1', 'x': 'y'}), spec)
    assert not keeps(f, make_host(metadata={'tier': 'gold'}), spec)
    assert not keeps(f,
        make_host(metadata={'tier': 'silver', 'rack': 'r1'}), spec)
    assert not keeps(f, make_host(metadata={}), spec)
