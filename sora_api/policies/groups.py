"""Rules of the groups resource: whoever reads the project's schedules."""

from sora_api.policies import base

rules = [
    base.rule('sora:group:list', base.RULE_ADMIN_OR_READER,
              "List the project's groups and their policies.",
              'GET', '/v1/groups'),
    base.rule('sora:group:list:all_projects', base.RULE_ADMIN,
              'List the groups of every project.',
              'GET', '/v1/groups?all_projects=true'),
    base.rule('sora:group:show', base.RULE_ADMIN_OR_READER,
              "Show a group's members, their domains and whether its "
              "policy holds.",
              'GET', '/v1/groups/{name}'),
    base.rule('sora:group:show:all_projects', base.RULE_ADMIN,
              "Show another project's group (project_id=P).",
              'GET', '/v1/groups/{name}?project_id=P'),
]
