"""Policy in code: every rule Sora enforces, with its default.

Operators override rules in the file named by ``[oslo_policy] policy_file``;
``oslopolicy-sample-generator --namespace sora`` prints the defaults.
"""

import itertools

from oslo_config import cfg
from oslo_policy import policy

from sora_api.policies import base
from sora_api.policies import capacity
from sora_api.policies import events
from sora_api.policies import groups
from sora_api.policies import hosts
from sora_api.policies import metrics
from sora_api.policies import quotas
from sora_api.policies import schedules


def list_rules():
    return list(itertools.chain(base.rules, hosts.rules, schedules.rules,
                                metrics.rules, quotas.rules, groups.rules,
                                capacity.rules, events.rules))


def get_enforcer():
    """The enforcer of the ``oslopolicy-*`` tools (``oslo.policy.enforcer``).

    NOTE: ``oslopolicy-policy-generator`` parses its ``--config-file`` into
    oslo.config's global ``CONF`` before it calls this, so the policy file
    that configuration names is the one merged in. Sora's own processes
    never use the global; they build ``sora_api.policy.Enforcer``.
    """
    enforcer = policy.Enforcer(cfg.CONF)
    enforcer.register_defaults(list_rules())
    return enforcer
