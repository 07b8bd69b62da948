"""Rules of the hosts resource: admin-only by default."""

from oslo_policy import policy

from sora_api.policies import base

PREFIX = 'sora:host:%s'


def _rule(action, method, path, description):
    return policy.DocumentedRuleDefault(
        name=PREFIX % action, check_str=base.RULE_ADMIN,
        description=description,
        operations=[{'method': method, 'path': path}])


rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create', check_str=base.RULE_ADMIN,
        description='Register hosts.',
        operations=[{'method': 'POST', 'path': '/v1/hosts'},
                    {'method': 'POST', 'path': '/v1/hosts/bulk'}]),
    _rule('list', 'GET', '/v1/hosts', 'List hosts.'),
    _rule('show', 'GET', '/v1/hosts/{host_id}', 'Show a host.'),
    _rule('update', 'PUT', '/v1/hosts/{host_id}', 'Update a host.'),
    _rule('delete', 'DELETE', '/v1/hosts/{host_id}', 'Delete a host.'),
    _rule('heartbeat', 'POST', '/v1/hosts/{host_id}/heartbeat',
          'Record that a host is alive.'),
    _rule('drain', 'POST', '/v1/hosts/{host_id}/drain',
          'Disable a host and move every instance off it.'),
]
