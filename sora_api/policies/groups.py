"""Rules of the groups resource: whoever reads the project's schedules."""

from oslo_policy import policy

from sora_api.policies import base

PREFIX = 'sora:group:%s'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list', check_str=base.RULE_ADMIN_OR_READER,
        description="List the project's groups and their policies.",
        operations=[{'method': 'GET', 'path': '/v1/groups'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'show', check_str=base.RULE_ADMIN_OR_READER,
        description="Show a group's members, their domains and whether "
                    "its policy holds.",
        operations=[{'method': 'GET', 'path': '/v1/groups/{name}'}]),
]
