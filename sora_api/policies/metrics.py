"""Rule of the metrics endpoint: admin, or the scraper's own role."""

from sora_api.policies import base

# NOTE: a scraper needs to read /metrics and nothing else; a token with only
# this role can do exactly that (every other rule asks for admin, member or
# reader), so a leaked scraper token cannot change or read any resource.
METRICS_READER = 'role:metrics_reader'

rules = [
    base.rule('sora:metrics:show', base.RULE_ADMIN + ' or ' + METRICS_READER,
              'Read the Prometheus metrics of the server (traffic, '
              'scheduling outcomes, host counts). The ``metrics_reader`` '
              'role allows this and nothing else.', 'GET', '/metrics'),
]
