"""JsonFilter: Nova's query language, and validate_query's reasons."""

import pytest

from sora_api import exception
from sora_api.scheduler import host_table
from sora_api.scheduler.filters import json_filter


@pytest.fixture
def host(make_host):
    return make_host('h1', availability_zone='az1', vcpus=4, memory_mb=2048,
                     disk_gb=10, vcpus_used=1, memory_mb_used=1024,
                     disk_gb_used=2, instances=3, io_ops=2,
                     traits=['CUSTOM_SSD'], metadata={'tier': 'gold'})


def matches(query, host):
    """The query's answer for one host, from the table's columns."""
    json_filter.validate_query(query)
    table = host_table.as_table([host])
    return bool(json_filter.compile_query(query)(table)[0])


@pytest.mark.parametrize('query, expected', [
    (['=', '$free_ram_mb', 1024], True),
    (['=', '$free_ram_mb', 1024, 1024], True),
    (['=', '$free_ram_mb', 1024, 2048], False),
    (['<', '$free_vcpus', 4], True),
    (['<', '$free_vcpus', 3], False),
    (['>', '$free_disk_mb', 7 * 1024], True),
    (['>', '$free_disk_mb', 8 * 1024], False),
    (['<=', '$vcpus_used', 1], True),
    (['<=', '$vcpus_used', 0], False),
    (['>=', '$vcpus_total', 4], True),
    (['>=', '$vcpus_total', 5], False),
    (['in', '$availability_zone', 'az0', 'az1'], True),
    (['in', '$availability_zone', 'az0', 'az2'], False),
    (['in', 'CUSTOM_SSD', '$traits'], True),
    (['in', 'CUSTOM_GPU', '$traits'], False),
    (['not', ['=', '$name', 'h1']], False),
    (['not', ['=', '$name', 'h2']], True),
    (['or', ['=', '$name', 'h2'], ['=', '$name', 'h1']], True),
    (['or', ['=', '$name', 'h2'], ['=', '$name', 'h3']], False),
    (['and', ['>=', '$free_ram_mb', 1024], ['=', '$metadata.tier', 'gold']],
     True),
    (['and', ['>=', '$free_ram_mb', 1024], ['=', '$metadata.tier', 'iron']],
     False),
])
def test_every_operator(host, query, expected):
    assert matches(query, host) is expected


@pytest.mark.parametrize('variable, value', [
    ('$name', 'h1'), ('$id', 'id-h1'), ('$availability_zone', 'az1'),
    ('$enabled', True), ('$up', True), ('$instances', 3),
    ('$num_instances', 3), ('$io_ops', 2), ('$memory_mb', 2048),
    ('$disk_gb', 10), ('$free_disk_gb', 8), ('$usable_vcpus', 4),
    ('$total_usable_ram_mb', 2048), ('$memory_mb_used', 1024),
])
def test_variables_read_the_host_state(host, variable, value):
    assert matches(['=', variable, value], host)


def test_missing_metadata_key_compares_false(host):
    assert not matches(['=', '$metadata.rack', 'r1'], host)
    assert matches(['not', ['=', '$metadata.rack', 'r1']], host)


def test_mismatched_types_compare_false_instead_of_raising(host):
    assert not matches(['<', '$name', 3], host)
    assert not matches(['>=', '$traits', 1], host)
    assert not matches(['=', '$free_ram_mb', '1024'], host)


def test_comparison_takes_the_first_value_against_each_other(host):
    assert matches(['<', 0, 1, 2, '$free_ram_mb'], host)
    assert not matches(['<', 0, 1, -1], host)


def test_nested_literal_operands_use_truthiness(host):
    assert matches(['and', '$enabled', ['not', 0]], host)
    assert not matches(['or', '$metadata.absent', False], host)


def test_filter_passes_every_host_without_query(
        conf, host, make_spec, keeps, survivors):
    f = json_filter.JsonFilter(conf)
    assert survivors(f, [host], make_spec(query=None)) == [host]
    assert keeps(f, host, make_spec(query=None))


def test_filter_keeps_matching_hosts(
        conf, make_host, make_spec, keeps, survivors):
    f = json_filter.JsonFilter(conf)
    big, small = make_host(memory_mb=8192), make_host(memory_mb=512)
    spec = make_spec(query=['>=', '$free_ram_mb', 1024])
    assert survivors(f, [big, small], spec) == [big]
    assert keeps(f, big, spec) and not keeps(f, small, spec)


def _nested(levels):
    query = ['=', 1, 1]
    for _ in range(levels - 1):
        query = ['not', query]
    return query


def test_thirty_two_levels_are_allowed(host):
    assert matches(_nested(32), host) is False  # 31 negations of true


@pytest.mark.parametrize('query, reason', [
    ({'=': 1}, 'must be a list'),
    ('[">=", "$free_ram_mb", 1]', 'must be a list'),
    (None, 'must be a list'),
    ([], 'an empty list'),
    (['xor', 1, 2], "unknown operator 'xor'"),
    ([1, 2, 3], 'unknown operator 1'),
    ([['=', 1, 1]], 'unknown operator'),
    (['='], "'=' takes at least 2 operands, got 0"),
    (['>=', '$free_ram_mb'], "'>=' takes at least 2 operands, got 1"),
    (['in', 'az1'], "'in' takes at least 2 operands"),
    (['not'], "'not' takes exactly 1 operand, got 0"),
    (['not', True, False], "'not' takes exactly 1 operand, got 2"),
    (['and'], "'and' takes at least 1 operand"),
    (['or'], "'or' takes at least 1 operand"),
    (['=', '$nonsense', 1], "unknown variable '$nonsense'"),
    (['=', '$', 1], "unknown variable '$'"),
    (['=', '$metadata.', 1], 'needs a key'),
    (['=', None, 1], 'operand None'),
    (['=', {'a': 1}, 1], "operand {'a': 1}"),
    (['and', ['=', '$free_ram_mb', 1], []], 'an empty list'),
    (['and', ['bogus', 1, 1]], "unknown operator 'bogus'"),
    (_nested(33), 'deeper than 32 levels'),
])
def test_malformed_query_is_an_invalid_hint_with_reason(query, reason):
    with pytest.raises(exception.InvalidHint) as raised:
        json_filter.validate_query(query)
    assert reason in str(raised.value)
    assert str(raised.value).startswith('Invalid scheduler hint: query: ')


def test_a_query_past_the_term_cap_is_an_invalid_hint():
    json_filter.validate_query(['or'] + [True] * 100, max_terms=100)
    with pytest.raises(exception.InvalidHint) as raised:
        json_filter.validate_query(['or'] + [True] * 101, max_terms=100)
    assert 'more than 100 terms' in str(raised.value)


def test_a_nested_term_counts_against_the_cap():
    query = ['and'] + [['=', '$name', 'x']] * 33
    with pytest.raises(exception.InvalidHint) as raised:
        json_filter.validate_query(query, max_terms=98)
    assert 'more than 98 terms' in str(raised.value)
    json_filter.validate_query(query, max_terms=99)


@pytest.mark.parametrize('query', [
    ['=', '$name', 'x' * 256],
    ['=', '$metadata.' + 'k' * 250, 'x'],
    ['in', 'CUSTOM_' + 'A' * 249, '$traits'],
])
def test_a_query_string_past_the_length_cap_is_an_invalid_hint(query):
    with pytest.raises(exception.InvalidHint) as raised:
        json_filter.validate_query(query, max_string_length=255)
    assert 'longer than 255' in str(raised.value)
