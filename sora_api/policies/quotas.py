"""Rules of resource classes, quotas and usage.

Admins create classes and set quotas; every role reads the classes, and
a project's readers and members read its own quota and usage.
"""

from sora_api.policies import base

ANY_ROLE = 'role:admin or role:member or role:reader'

rules = [
    base.rule('sora:resource_class:list', ANY_ROLE,
              'List the resource classes.',
              'GET', '/v1/resource_classes'),
    base.rule('sora:resource_class:create', base.RULE_ADMIN,
              'Create a custom resource class.',
              'PUT', '/v1/resource_classes/{name}'),
    base.rule('sora:resource_class:delete', base.RULE_ADMIN,
              'Delete a custom resource class no host has.',
              'DELETE', '/v1/resource_classes/{name}'),
    base.rule('sora:quota:show', base.RULE_ADMIN_OR_READER,
              "Show a project's limits and usage.",
              'GET', '/v1/quotas/{project_id}'),
    base.rule('sora:quota:update', base.RULE_ADMIN,
              "Replace a project's limits.",
              'PUT', '/v1/quotas/{project_id}'),
    base.rule('sora:quota:delete', base.RULE_ADMIN,
              "Put a project's limits back to the defaults.",
              'DELETE', '/v1/quotas/{project_id}'),
    base.rule('sora:usage:show', base.RULE_ADMIN_OR_READER,
              "Show a project's usage.", 'GET', '/v1/usages'),
    base.rule('sora:usage:list:all_projects', base.RULE_ADMIN,
              'Show the usage of every project.',
              'GET', '/v1/usages?all_projects=true'),
]
