"""Policy in code: every rule Sora enforces, with its default.

Operators override rules in the file named by ``[oslo_policy] policy_file``;
``oslopolicy-sample-generator --namespace sora`` prints the defaults.
"""

import itertools

from sora_api.policies import base
from sora_api.policies import hosts
from sora_api.policies import metrics
from sora_api.policies import quotas
from sora_api.policies import schedules


def list_rules():
    return list(itertools.chain(base.rules, hosts.rules, schedules.rules,
                                metrics.rules, quotas.rules))
