"""Rule of the capacity planner: members and admins ask it."""

from oslo_policy import policy

from sora_api.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name='sora:capacity:show', check_str=base.RULE_ADMIN_OR_MEMBER,
        description='Count how many more instances of a request fit now, '
                    'per availability zone (like a dry run, it tells how '
                    'much room the hosts have left). Nothing is claimed.',
        operations=[{'method': 'POST', 'path': '/v1/capacity'}]),
]
