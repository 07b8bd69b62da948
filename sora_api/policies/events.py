"""Rules of the event feed: everyone reads their own, admin everything."""

from sora_api.policies import base

rules = [
    base.rule('sora:event:list', base.RULE_ADMIN_OR_READER,
              "Read the change feed: the project's schedule events.",
              'GET', '/v1/events'),
    base.rule('sora:event:list:all_projects', base.RULE_ADMIN,
              'Read every event of the feed: hosts and all projects.',
              'GET', '/v1/events'),
]
