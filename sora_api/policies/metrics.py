"""Rule of the metrics endpoint: admin, or the scraper's own role."""

from oslo_policy import policy

from sora_api.policies import base

# NOTE: a scraper needs to read /metrics and nothing else; a token with only
# this role can do exactly that (every other rule asks for admin, member or
# reader), so a leaked scraper token cannot change or read any resource.
METRICS_READER = 'role:metrics_reader'

rules = [
    policy.DocumentedRuleDefault(
        name='sora:metrics:show',
        check_str=base.RULE_ADMIN + ' or ' + METRICS_READER,
        description='Read the Prometheus metrics of the server (traffic, '
                    'scheduling outcomes, host counts). The '
                    '``metrics_reader`` role allows this and nothing else.',
        operations=[{'method': 'GET', 'path': '/metrics'}]),
]
