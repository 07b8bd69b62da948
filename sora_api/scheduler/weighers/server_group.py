"""Soft server-group policies: prefer, rather than require, a placement."""

import numpy as np

from sora_api.scheduler import weighers


class _GroupMembersWeigher(weighers.BaseHostWeigher):
    """Counts the members of the request's group already on the host, as
    Nova does, but only when the request's policy is this weigher's.
    """

    policy = None
    sign = 1

    def applies(self, spec):
        return spec.group_policy == self.policy

    def weigh_rows(self, table, rows, spec):
        if not self.applies(spec):
            return np.zeros(len(rows))
        return self.sign * table.counts_of(spec.group_hosts)[rows]


class ServerGroupSoftAffinityWeigher(_GroupMembersWeigher):
    """Policy ``soft-affinity``: hosts with more members weigh more."""

    policy = 'soft-affinity'

    def weight_multiplier(self):
        return self.conf.filter_scheduler.soft_affinity_weight_multiplier


class ServerGroupSoftAntiAffinityWeigher(_GroupMembersWeigher):
    """Policy ``soft-anti-affinity``: hosts with fewer members weigh more,
    so the group spreads when it can and stacks only when it must.
    """

    policy = 'soft-anti-affinity'
    sign = -1

    def weight_multiplier(self):
        return self.conf.filter_scheduler.soft_anti_affinity_weight_multiplier
