"""TraitsFilter: required traits present, forbidden traits absent."""

from sora_api.scheduler.filters import traits


def test_no_traits_requested_passes_every_host(
        conf, make_host, make_spec, keeps):
    f = traits.TraitsFilter(conf)
    assert keeps(f, make_host(traits=[]), make_spec())
    assert keeps(f, make_host(traits=['CUSTOM_GPU']), make_spec())


def test_required_traits_must_all_be_present(
        conf, make_host, make_spec, keeps):
    f = traits.TraitsFilter(conf)
    spec = make_spec(required_traits=['CUSTOM_SSD', 'HW_CPU_X86_AVX2'])
    assert keeps(f,
        make_host(traits=['CUSTOM_SSD', 'HW_CPU_X86_AVX2', 'X']), spec)
    assert not keeps(f, make_host(traits=['CUSTOM_SSD']), spec)


def test_forbidden_traits_must_all_be_absent(
        conf, make_host, make_spec, keeps):
    f = traits.TraitsFilter(conf)
    spec = make_spec(forbidden_traits=['CUSTOM_GPU'])
    assert keeps(f, make_host(traits=['CUSTOM_SSD']), spec)
    assert not keeps(f, make_host(traits=['CUSTOM_GPU']), spec)


def test_required_and_forbidden_together(conf, make_host, make_spec, keeps):
    f = traits.TraitsFilter(conf)
    spec = make_spec(required_traits=['A'], forbidden_traits=['B'])
    assert keeps(f, make_host(traits=['A']), spec)
    assert not keeps(f, make_host(traits=['A', 'B']), spec)
    assert not keeps(f, make_host(traits=[]), spec)
