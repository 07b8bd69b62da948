"""Rules of the schedules resource: members write, readers read."""

from oslo_policy import policy

from sora_api.policies import base

PREFIX = 'sora:schedule:%s'

rules = [
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create', check_str=base.RULE_ADMIN_OR_MEMBER,
        description='Place instances and claim their resources.',
        operations=[{'method': 'POST', 'path': '/v1/schedules'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'create:dry_run', check_str=base.RULE_ADMIN_OR_MEMBER,
        description='Rank candidate hosts without claiming (dry_run): shows '
                    'host names and how well each fits, hence free '
                    'capacity. Checked on top of sora:schedule:create.',
        operations=[{'method': 'POST',
                     'path': '/v1/schedules {"dry_run": true}'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list', check_str=base.RULE_ADMIN_OR_READER,
        description="List the project's schedules.",
        operations=[{'method': 'GET', 'path': '/v1/schedules'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'list:all_projects', check_str=base.RULE_ADMIN,
        description='List the schedules of every project.',
        operations=[{'method': 'GET',
                     'path': '/v1/schedules?all_projects=true'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'show', check_str=base.RULE_ADMIN_OR_READER,
        description='Show a schedule.',
        operations=[{'method': 'GET', 'path': '/v1/schedules/{schedule_id}'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'delete', check_str=base.RULE_ADMIN_OR_MEMBER,
        description='Delete a schedule and release its allocations.',
        operations=[{'method': 'DELETE',
                     'path': '/v1/schedules/{schedule_id}'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'confirm', check_str=base.RULE_ADMIN_OR_MEMBER,
        description='Confirm a held schedule, so its hold never expires.',
        operations=[{'method': 'POST',
                     'path': '/v1/schedules/{schedule_id}/confirm'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'move', check_str=base.RULE_ADMIN_OR_MEMBER,
        description="Move a schedule's instances to other hosts.",
        operations=[{'method': 'POST',
                     'path': '/v1/schedules/{schedule_id}/move'}]),
    policy.DocumentedRuleDefault(
        name=PREFIX % 'resize', check_str=base.RULE_ADMIN_OR_MEMBER,
        description="Change the resources of a schedule's instances.",
        operations=[{'method': 'POST',
                     'path': '/v1/schedules/{schedule_id}/resize'}]),
]
