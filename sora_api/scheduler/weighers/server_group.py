"""Soft server-group policies: prefer, rather than require, a placement.

Members are counted per domain of the group's topology key (``host`` by
default): a host weighs by the members its whole domain holds. A host
without the key's metadata counts as an empty domain.
"""

import numpy as np

from sora_api.scheduler import domains
from sora_api.scheduler import weighers


class _GroupMembersWeigher(weighers.BaseHostWeigher):
    """Counts the members of the request's group already in the host's
    domain, as Nova counts them on the host, but only when the request's
    policy is this weigher's.
    """

    policy = None
    sign = 1

    def applies(self, spec):
        return spec.group_policy == self.policy

    def weigh_rows(self, table, rows, spec):
        if not self.applies(spec):
            return np.zeros(len(rows))
        row_codes, per_domain = domains.member_counts(
            table, spec.group_topology_key, spec.group_hosts)
        return self.sign * domains.per_row(row_codes[rows], per_domain)


class ServerGroupSoftAffinityWeigher(_GroupMembersWeigher):
    """Policy ``soft-affinity``: domains with more members weigh more."""

    policy = 'soft-affinity'

    def weight_multiplier(self):
        return self.conf.filter_scheduler.soft_affinity_weight_multiplier


class ServerGroupSoftAntiAffinityWeigher(_GroupMembersWeigher):
    """Policy ``soft-anti-affinity``: domains with fewer members weigh
    more, so the group spreads when it can and stacks only when it must.
    """

    policy = 'soft-anti-affinity'
    sign = -1

    def weight_multiplier(self):
        return self.conf.filter_scheduler.soft_anti_affinity_weight_multiplier
