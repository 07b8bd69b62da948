"""RequestSpec: normalises what the caller hands over."""

import pytest

from sora_api import exception


def test_lists_become_sets(make_spec):
    spec = make_spec(required_traits=['A'], forbidden_traits=['B'],
                     ignore_hosts=['h1'], force_hosts=['h2'],
                     same_host=['id-1'], different_host=[])
    assert spec.required_traits == frozenset({'A'})
    assert spec.forbidden_traits == frozenset({'B'})
    assert spec.ignore_hosts == frozenset({'h1'})
    assert spec.force_hosts == frozenset({'h2'})
    assert spec.same_host == {'id-1'}
    assert spec.different_host == set()


def test_absent_hints_stay_absent(make_spec):
    spec = make_spec()
    assert spec.same_host is None and spec.different_host is None
    assert spec.query is None and spec.group_hosts == {}
    assert spec.num_instances == 1


def test_each_spec_has_its_own_group_hosts(make_spec):
    first, second = make_spec(), make_spec()
    first.group_hosts['id-a'] = 1
    assert second.group_hosts == {}


def test_unknown_group_policy_is_an_invalid_hint(make_spec):
    with pytest.raises(exception.InvalidHint, match='group_policy'):
        make_spec(group_policy='together')
