"""Check strings shared by the resource rules, and ``rule``, which makes
a documented rule of one or more operations."""

from oslo_policy import policy

ADMIN = 'role:admin'
PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
PROJECT_READER = ('(role:reader or role:member) '
                  'and project_id:%(project_id)s')

RULE_ADMIN = 'rule:admin'
RULE_ADMIN_OR_MEMBER = 'rule:admin_or_member'
RULE_ADMIN_OR_READER = 'rule:admin_or_reader'

rules = [
    policy.RuleDefault('admin', ADMIN, 'Administrators: every host, '
                       'every project.'),
    policy.RuleDefault('admin_or_member', ADMIN + ' or (' + PROJECT_MEMBER
                       + ')', 'An administrator or a member of the project '
                       'that owns the target.'),
    policy.RuleDefault('admin_or_reader', ADMIN + ' or (' + PROJECT_READER
                       + ')', 'An administrator, or a reader or member of the '
                       'project that owns the target.'),
]


def rule(name, check_str, description, method, path, *more):
    """A documented rule; ``more`` are further ``(method, path)`` pairs."""
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, description=description,
        operations=[{'method': m, 'path': p}
                    for m, p in ((method, path),) + more])
