"""Rules of the event feed: everyone reads their own, admin everything."""

from oslo_policy import policy

from sora_api.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name='sora:event:list', check_str=base.RULE_ADMIN_OR_READER,
        description="Read the change feed: the project's schedule events.",
        operations=[{'method': 'GET', 'path': '/v1/events'}]),
    policy.DocumentedRuleDefault(
        name='sora:event:list:all_projects', check_str=base.RULE_ADMIN,
        description='Read every event of the feed: hosts and all projects.',
        operations=[{'method': 'GET', 'path': '/v1/events'}]),
]
