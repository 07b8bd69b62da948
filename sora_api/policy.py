"""The policy enforcer: ``authorize`` raises ``Forbidden`` on a refusal."""

import time

from oslo_log import log as logging
from oslo_policy import policy
import yaml

from sora_api import exception
from sora_api import policies
from sora_api import policy_file

LOG = logging.getLogger(__name__)


class Enforcer:
    """oslo.policy's enforcer, with its answers remembered for a moment.

    NOTE: one oslo.policy check costs about as much as placing an instance
    (it re-reads the policy file's mtime and inspects check signatures on
    every call). A decision depends only on the caller's identity, the
    action and the target, so it is remembered for ``CACHE_TIME`` seconds:
    an edited policy file applies within that time.
    """

    CACHE_TIME = 1.0
    CACHE_SIZE = 4096

    def __init__(self, conf):
        self.conf = conf
        self._enforcer = policy.Enforcer(conf)
        self._enforcer.register_defaults(policies.list_rules())
        self._decisions = {}

    def authorize(self, context, action, target=None):
        """Raise ``Forbidden`` unless ``context`` may do ``action``."""
        if not self.allows(context, action, target):
            raise exception.Forbidden(action=action)

    def allows(self, context, action, target=None):
        target = target or {'project_id': context.project_id}
        key = (action, context.user_id, context.project_id,
               tuple(sorted(context.roles)), tuple(sorted(target.items())))
        now = time.monotonic()
        remembered = self._decisions.get(key)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        try:
            allowed = self._enforcer.authorize(action, target, context,
                                               do_raise=False)
        except (yaml.YAMLError, ValueError, TypeError):
            # NOTE: oslo.policy reloads an edited file at the next check
            # and raises if it cannot read it, once: it keeps the rules it
            # had. So do we, and say where the file is broken.
            LOG.error('The policy file was changed and cannot be read; '
                      'the previous rules stay in force: %s',
                      _problem(self.conf))
            allowed = self._enforcer.authorize(action, target, context,
                                               do_raise=False)
        if len(self._decisions) >= self.CACHE_SIZE:
            self._decisions.clear()
        self._decisions[key] = (now + self.CACHE_TIME, allowed)
        return allowed


def _problem(conf):
    try:
        policy_file.check(conf)
    except exception.PolicyFileInvalid as e:
        return e.message
    return 'no problem found on a second read'
