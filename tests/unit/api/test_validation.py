"""Request validation at the door: bodies and query strings."""

import json

import pytest
import webob

from sora_api.api import errors
from sora_api.api import wsgi
from sora_api.api.schemas import hosts as host_schemas
from sora_api.api.schemas import schedules as schedule_schemas

HOST = {'name': 'h1', 'vcpus': 8, 'memory_mb': 1024, 'disk_gb': 10}


def _post(body):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return webob.Request.blank('/', method='POST', body=raw)


def _refused(body, schema):
    with pytest.raises(errors.ApiError) as info:
        wsgi.json_body(_post(body), schema)
    assert info.value.status == 400
    assert info.value.code == errors.INVALID_REQUEST
    return info.value.detail


def test_a_valid_host_passes_unchanged():
    assert wsgi.json_body(_post(HOST), host_schemas.create) == HOST


@pytest.mark.parametrize('raw', [b'{', b'nope', b'\xff\xfe', b'[1, 2',
                                 b'{"vcpus": NaN}', b'{"a": Infinity}'])
def test_a_body_that_is_not_json_is_refused(raw):
    assert 'not valid JSON' in _refused(raw, host_schemas.create)


def test_an_empty_body_is_refused_unless_optional():
    assert 'empty' in _refused(b'', host_schemas.create)
    assert wsgi.json_body(_post(b''), host_schemas.heartbeat,
                          optional=True) == {}


def test_a_body_that_is_not_an_object_is_refused():
    _refused([HOST], host_schemas.create)


@pytest.mark.parametrize('field,value', [
    ('vcpus', 2.0), ('vcpus', 2.5), ('vcpus', '2'), ('vcpus', True),
    ('vcpus', -1), ('vcpus', 2 ** 31), ('name', ''), ('name', 'x' * 256),
    ('cpu_allocation_ratio', 0), ('cpu_allocation_ratio', -1.0),
    ('traits', ['lowercase']), ('traits', ['A', 'A']),
    ('metadata', {'k': 1}), ('enabled', 'yes'), ('color', 'blue'),
])
def test_a_bad_host_field_is_refused_naming_the_field(field, value):
    detail = _refused(dict(HOST, **{field: value}), host_schemas.create)
    assert field in detail or 'unexpected' in detail


def test_huge_integers_and_deep_nesting_are_refused():
    _refused(b'{"vcpus": ' + b'9' * 5000 + b'}', host_schemas.create)
    _refused(b'[' * 100000 + b']' * 100000, host_schemas.create)


def test_an_update_must_name_at_least_one_field():
    _refused({}, host_schemas.update)
    assert wsgi.json_body(_post({'vcpus': 4}),
                          host_schemas.update) == {'vcpus': 4}


def test_schedule_num_instances_is_capped_by_configuration():
    schema = schedule_schemas.create(max_instances=3, max_hold_seconds=60)
    ok = {'resources': {'vcpus': 1}, 'num_instances': 3}
    assert wsgi.json_body(_post(ok), schema) == ok
    _refused(dict(ok, num_instances=4), schema)
    _refused(dict(ok, num_instances=0), schema)


def test_schedule_hold_seconds_is_capped_by_configuration():
    schema = schedule_schemas.create(max_instances=3, max_hold_seconds=60)
    ok = {'resources': {'vcpus': 1}, 'hold_seconds': 60}
    assert wsgi.json_body(_post(ok), schema) == ok
    _refused(dict(ok, hold_seconds=61), schema)
    _refused(dict(ok, hold_seconds=0), schema)
    _refused(dict(ok, hold_seconds=1.5), schema)


def test_a_group_policy_needs_a_group():
    schema = schedule_schemas.create(max_instances=10, max_hold_seconds=60)
    _refused({'resources': {'vcpus': 1},
              'hints': {'group_policy': 'affinity'}}, schema)
    _refused({'resources': {'vcpus': 1},
              'hints': {'group': 'g', 'group_policy': 'sometimes'}}, schema)


def _query(url, schema):
    return wsgi.query_params(webob.Request.blank(url), schema)


def test_query_parameters_are_validated_and_unknown_ones_refused():
    params = _query('/?name=a&trait=A&trait=B&limit=5',
                    host_schemas.list_query)
    assert params == {'name': ['a'], 'trait': ['A', 'B'], 'limit': ['5']}
    for bad in ('/?colour=red', '/?limit=0', '/?limit=x', '/?enabled=maybe',
                '/?marker=not-a-uuid', '/?name=a&name=b',
                "/?name=x'%20OR%201=1--&limit=1;DROP"):
        with pytest.raises(errors.ApiError):
            _query(bad, host_schemas.list_query)


@pytest.mark.parametrize('field,value', [
    ('name', 'nul\x00inside'), ('name', 'tab\there'),
    ('availability_zone', 'new\nline'), ('name', 'trailing\n'),
    ('disabled_reason', 'nul\x00'),
    ('metadata', {'k': 'nul\x00'}), ('metadata', {'k\x01': 'v'}),
])
def test_control_characters_are_refused_where_databases_choke(field, value):
    _refused(dict(HOST, **{field: value}), host_schemas.create)


def test_unicode_names_and_free_text_are_accepted():
    body = dict(HOST, name='hôte-東京-1', disabled_reason=None,
                metadata={'note': 'tab\tis fine in a value'})
    assert wsgi.json_body(_post(body), host_schemas.create) == body
