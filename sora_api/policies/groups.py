"""Rules of the groups resource: whoever reads the project's schedules."""

from sora_api.policies import base

rules = [
    base.rule('sora:group:list', base.RULE_ADMIN_OR_READER,
              "List the project's groups and their policies.",
              'GET', '/v1/groups'),
    base.rule('sora:group:show', base.RULE_ADMIN_OR_READER,
              "Show a group's members, their domains and whether its "
              "policy holds.",
              'GET', '/v1/groups/{name}'),
]
