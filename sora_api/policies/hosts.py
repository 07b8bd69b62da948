"""Rules of the hosts resource: admin-only by default."""

from sora_api.policies import base

PREFIX = 'sora:host:%s'


def _rule(action, method, path, description, *more):
    return base.rule(PREFIX % action, base.RULE_ADMIN, description, method,
                     path, *more)


rules = [
    _rule('create', 'POST', '/v1/hosts', 'Register hosts.',
          ('POST', '/v1/hosts/bulk')),
    _rule('list', 'GET', '/v1/hosts', 'List hosts.'),
    _rule('show', 'GET', '/v1/hosts/{host_id}', 'Show a host.'),
    _rule('update', 'PUT', '/v1/hosts/{host_id}', 'Update a host.'),
    _rule('delete', 'DELETE', '/v1/hosts/{host_id}', 'Delete a host.'),
    _rule('heartbeat', 'POST', '/v1/hosts/{host_id}/heartbeat',
          'Record that a host is alive.'),
    _rule('drain', 'POST', '/v1/hosts/{host_id}/drain',
          'Disable a host and move every instance off it.'),
]
