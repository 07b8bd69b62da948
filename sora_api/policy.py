"""The policy enforcer: ``authorize`` raises ``Forbidden`` on a refusal."""

from oslo_policy import policy

from sora_api import exception
from sora_api import policies


class Enforcer:
    def __init__(self, conf):
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(policies.list_rules())

    def authorize(self, context, action, target=None):
        """Raise ``Forbidden`` unless ``context`` may do ``action``."""
        if not self.allows(context, action, target):
            raise exception.Forbidden(action=action)

    def allows(self, context, action, target=None):
        target = target or {'project_id': context.project_id}
        return self._enforcer.authorize(action, target, context,
                                        do_raise=False)
