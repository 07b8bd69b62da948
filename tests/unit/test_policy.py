"""Policy in code: who may do what by default, and operator overrides."""

import os
import time

from oslo_context import context as oslo_context
import pytest

from sora_api import exception
from sora_api import policies
from sora_api import policy


def _ctx(roles, project='project-a'):
    return oslo_context.RequestContext(user_id='u', project_id=project,
                                       roles=roles)


@pytest.fixture
def enforcer(conf, tmp_path):
    conf.set_override('policy_file', str(tmp_path / 'policy.yaml'),
                      group='oslo_policy')
    return policy.Enforcer(conf)


HOST_RULES = ['sora:host:%s' % a for a in
              ('create', 'list', 'show', 'update', 'delete', 'heartbeat')]


@pytest.mark.parametrize('rule', HOST_RULES)
def test_host_rules_are_admin_only(enforcer, rule):
    assert enforcer.allows(_ctx(['admin']), rule)
    for roles in (['member'], ['reader'], []):
        assert not enforcer.allows(_ctx(roles), rule)


def test_members_create_read_and_delete_their_own_schedules(enforcer):
    own = {'project_id': 'project-a'}
    member = _ctx(['member'])
    for rule in ('create', 'list', 'show', 'delete'):
        assert enforcer.allows(member, 'sora:schedule:' + rule, own)


def test_readers_only_read_their_own_project(enforcer):
    own = {'project_id': 'project-a'}
    reader = _ctx(['reader'])
    assert enforcer.allows(reader, 'sora:schedule:list', own)
    assert enforcer.allows(reader, 'sora:schedule:show', own)
    assert not enforcer.allows(reader, 'sora:schedule:create', own)
    assert not enforcer.allows(reader, 'sora:schedule:delete', own)


def test_nobody_but_admin_touches_another_project(enforcer):
    theirs = {'project_id': 'project-b'}
    for roles in (['member'], ['reader']):
        for rule in ('show', 'delete'):
            assert not enforcer.allows(_ctx(roles), 'sora:schedule:' + rule,
                                       theirs)
    assert enforcer.allows(_ctx(['admin']), 'sora:schedule:delete', theirs)
    assert not enforcer.allows(_ctx(['member']),
                               'sora:schedule:list:all_projects')


def test_authorize_raises_forbidden(enforcer):
    with pytest.raises(exception.Forbidden):
        enforcer.authorize(_ctx(['member']), 'sora:host:create')


def test_a_policy_file_overrides_a_default(conf, tmp_path):
    path = tmp_path / 'policy.yaml'
    path.write_text('"sora:host:list": "role:reader"\n')
    conf.set_override('policy_file', str(path), group='oslo_policy')
    enforcer = policy.Enforcer(conf)
    assert enforcer.allows(_ctx(['reader']), 'sora:host:list')
    assert not enforcer.allows(_ctx(['admin']), 'sora:host:list')


def test_every_documented_rule_names_its_operations():
    for rule in policies.list_rules():
        if rule.name.startswith('sora:'):
            assert rule.operations and rule.description


def test_decisions_are_remembered_per_identity_action_and_target(enforcer):
    member = _ctx(['member'])
    own, theirs = {'project_id': 'project-a'}, {'project_id': 'project-b'}
    assert enforcer.allows(member, 'sora:schedule:delete', own)
    assert not enforcer.allows(member, 'sora:schedule:delete', theirs)
    assert not enforcer.allows(_ctx(['reader']), 'sora:schedule:delete', own)
    assert enforcer.allows(_ctx(['admin']), 'sora:schedule:delete', theirs)
    # Asked again, the same answers.
    assert enforcer.allows(member, 'sora:schedule:delete', own)
    assert not enforcer.allows(member, 'sora:schedule:delete', theirs)


def test_an_edited_policy_file_applies_once_the_cache_time_passed(
        conf, tmp_path, monkeypatch):
    path = tmp_path / 'policy.yaml'
    path.write_text('"sora:host:list": "role:admin"\n')
    conf.set_override('policy_file', str(path), group='oslo_policy')
    enforcer = policy.Enforcer(conf)
    reader = _ctx(['reader'])
    assert not enforcer.allows(reader, 'sora:host:list')
    path.write_text('"sora:host:list": "role:reader"\n')
    os.utime(path, (path.stat().st_mtime + 10,) * 2)
    clock = [time.monotonic()]
    monkeypatch.setattr(time, 'monotonic', lambda: clock[0])
    clock[0] += policy.Enforcer.CACHE_TIME + 0.1
    assert enforcer.allows(reader, 'sora:host:list')
