"""Rule of the metrics endpoint: admin by default."""

from oslo_policy import policy

from sora_api.policies import base

rules = [
    policy.DocumentedRuleDefault(
        name='sora:metrics:show', check_str=base.RULE_ADMIN,
        description='Read the Prometheus metrics of the server (traffic, '
                    'scheduling outcomes, host counts).',
        operations=[{'method': 'GET', 'path': '/metrics'}]),
]
