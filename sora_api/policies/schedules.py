"""Rules of the schedules resource: members write, readers read."""

from sora_api.policies import base

PREFIX = 'sora:schedule:%s'
MEMBER = base.RULE_ADMIN_OR_MEMBER
READER = base.RULE_ADMIN_OR_READER
ONE = '/v1/schedules/{schedule_id}'


def _rule(action, check_str, description, method, path):
    return base.rule(PREFIX % action, check_str, description, method, path)


rules = [
    _rule('create', MEMBER, 'Place instances and claim their resources.',
          'POST', '/v1/schedules'),
    _rule('create:dry_run', MEMBER,
          'Rank candidate hosts without claiming (dry_run): shows host '
          'names and how well each fits, hence free capacity. Checked on '
          'top of sora:schedule:create.',
          'POST', '/v1/schedules {"dry_run": true}'),
    _rule('list', READER, "List the project's schedules.",
          'GET', '/v1/schedules'),
    _rule('list:all_projects', base.RULE_ADMIN,
          'List the schedules of every project.',
          'GET', '/v1/schedules?all_projects=true'),
    _rule('show', READER, 'Show a schedule.', 'GET', ONE),
    _rule('delete', MEMBER, 'Delete a schedule and release its allocations.',
          'DELETE', ONE),
    _rule('confirm', MEMBER,
          'Confirm a held schedule, so its hold never expires.',
          'POST', ONE + '/confirm'),
    _rule('move', MEMBER, "Move a schedule's instances to other hosts.",
          'POST', ONE + '/move'),
    _rule('resize', MEMBER,
          "Change the resources of a schedule's instances.",
          'POST', ONE + '/resize'),
]
