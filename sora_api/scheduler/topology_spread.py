"""The skew of each host's domain if the next member went there.

Shared by ``TopologySpreadFilter`` and ``TopologySpreadWeigher``: the
members counted are ``spec.group_hosts`` (the group's, or without a group
the request's own earlier instances), the domains those of the ``key``
among the rows ``eligible`` (hosts that pass the request's other filters),
so a domain with no room left is no domain to balance against.
"""

import numpy as np

from sora_api.scheduler import domains


def skew_after(table, spec, eligible):
    """``(skew, has_domain)`` over every row of ``table``: the members the
    row's domain would hold after one more, minus the fewest any eligible
    domain holds now; ``has_domain`` marks the eligible rows with a domain
    (the others' skew means nothing)."""
    row_codes, per_domain = domains.member_counts(table, spec.spread.key,
                                                  spec.group_hosts)
    has_domain = eligible & (row_codes != domains.NONE)
    if not has_domain.any():
        return np.zeros(len(table), dtype=np.int64), has_domain
    present = np.zeros(len(per_domain), dtype=bool)
    present[row_codes[has_domain]] = True
    least = per_domain[present].min()
    return domains.per_row(row_codes, per_domain) + 1 - least, has_domain
