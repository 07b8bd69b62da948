"""Rules of resource classes, quotas and usage.

Admins create classes and set quotas; every role reads the classes, and
a project's readers and members read its own quota and usage.
"""

from oslo_policy import policy

from sora_api.policies import base

ANY_ROLE = 'role:admin or role:member or role:reader'

rules = [
    policy.DocumentedRuleDefault(
        name='sora:resource_class:list', check_str=ANY_ROLE,
        description='List the resource classes.',
        operations=[{'method': 'GET', 'path': '/v1/resource_classes'}]),
    policy.DocumentedRuleDefault(
        name='sora:resource_class:create', check_str=base.RULE_ADMIN,
        description='Create a custom resource class.',
        operations=[{'method': 'PUT',
                     'path': '/v1/resource_classes/{name}'}]),
    policy.DocumentedRuleDefault(
        name='sora:resource_class:delete', check_str=base.RULE_ADMIN,
        description='Delete a custom resource class no host has.',
        operations=[{'method': 'DELETE',
                     'path': '/v1/resource_classes/{name}'}]),
    policy.DocumentedRuleDefault(
        name='sora:quota:show', check_str=base.RULE_ADMIN_OR_READER,
        description="Show a project's limits and usage.",
        operations=[{'method': 'GET', 'path': '/v1/quotas/{project_id}'}]),
    policy.DocumentedRuleDefault(
        name='sora:quota:update', check_str=base.RULE_ADMIN,
        description="Replace a project's limits.",
        operations=[{'method': 'PUT', 'path': '/v1/quotas/{project_id}'}]),
    policy.DocumentedRuleDefault(
        name='sora:quota:delete', check_str=base.RULE_ADMIN,
        description="Put a project's limits back to the defaults.",
        operations=[{'method': 'DELETE',
                     'path': '/v1/quotas/{project_id}'}]),
    policy.DocumentedRuleDefault(
        name='sora:usage:show', check_str=base.RULE_ADMIN_OR_READER,
        description="Show a project's usage.",
        operations=[{'method': 'GET', 'path': '/v1/usages'}]),
    policy.DocumentedRuleDefault(
        name='sora:usage:list:all_projects', check_str=base.RULE_ADMIN,
        description='Show the usage of every project.',
        operations=[{'method': 'GET',
                     'path': '/v1/usages?all_projects=true'}]),
]
