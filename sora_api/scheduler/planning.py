"""How many more instances of one request fit now: ``POST /v1/capacity``.

The driver counts what each host would take (``fit``: every filter, the
group's hard policy); this module sums the counts per zone, tells which
class runs out first on each host, and caps the total by the project's
quota. Nothing is placed, nothing claimed.
"""

import numpy as np

from sora_api.db import quotas
from sora_api.scheduler import explain
from sora_api.scheduler import fit


def quota_remaining(spec, limits, usage):
    """Instances of ``spec`` the project's quota still allows, or None when
    nothing asked is limited. A limit already passed allows 0."""
    asked = dict(spec.resources, instances=1)
    remaining = None
    for resource, amount in asked.items():
        limit = limits.get(resource, quotas.UNLIMITED)
        if amount <= 0 or limit < 0:
            continue
        room = max(0, (limit - usage.get(resource, 0)) // amount)
        remaining = room if remaining is None else min(remaining, room)
    return remaining


def limited_by(table, spec, candidates, counts):
    """``{class: hosts}``: the candidates whose count a class bounds, by
    the class that runs out first there (the first in name order on a
    tie)."""
    bounds = fit.class_bounds(table, spec)
    if not bounds:
        return {}
    names = list(bounds)
    stacked = np.stack([bounds[name] for name in names])
    first = np.argmin(stacked, axis=0)
    binding = candidates & (stacked.min(axis=0) <= counts)
    tally = np.bincount(first[binding], minlength=len(names))
    return {name: int(n) for name, n in zip(names, tally) if n}


def capacity(table, spec, candidates, counts, remaining):
    """The contract's ``capacity`` body."""
    codes, zones, _ = explain.zone_codes(table)
    per_zone = np.bincount(codes, weights=counts, minlength=len(zones))
    total = int(counts.sum())
    if remaining is not None:
        # The quota caps what fits anywhere, each zone included.
        total = min(total, remaining)
        per_zone = np.minimum(per_zone, remaining)
    return {'instances': total,
            'by_availability_zone': {zone: int(n) for zone, n
                                     in sorted(zip(zones, per_zone))},
            'limited_by': limited_by(table, spec, candidates, counts),
            'quota_remaining': remaining}
