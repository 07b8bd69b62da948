"""How many instances of a request fit, found by re-running the filters.

Nothing here places instances one by one. The filters the driver runs are
asked about views of the host table that have already taken ``j``
instances on every host at once (``HostTable.consumed``, with ``j`` a
column, so each host is asked about its own ``j``): a binary search per
host over such views finds how many instances each host takes in a row.
The driver's placement then fits ``N`` instances exactly when these
counts, capped by the group policy, add up to ``N``: each instance it
places takes one from its host's count, and it fails only when no host
has any left.

NOTE: a filter is assumed to keep failing a host once it failed it after
some instances: true of every built-in one (more usage never makes room),
and of any query on free amounts that asks for "at least".
"""

import numpy as np

# More instances than any host takes: the bound of a request whose every
# class is unbounded (never, as one class is > 0, but safe).
_UNBOUNDED = np.iinfo(np.int64).max // 4


def applying(filters, spec):
    """The filters that run for ``spec``, in the driver's order."""
    return [f for f in filters if f.applies(spec)]


def passing(filters, table, spec, alive=None):
    """Rows every filter passes, asked in order as the driver asks them
    (each filter sees the rows the earlier ones left)."""
    mask = np.ones(len(table), dtype=bool) if alive is None else alive.copy()
    for host_filter in applying(filters, spec):
        if not mask.any():
            break
        mask &= host_filter.filter_mask(table, mask, spec)
    return mask


def masks(filters, table, spec):
    """``{filter name: mask}`` of every filter that applies, each asked
    about every row (so a host failing several filters shows them all)."""
    everyone = np.ones(len(table), dtype=bool)
    return {f.name: f.filter_mask(table, everyone, spec)
            for f in applying(filters, spec)}


def class_bounds(table, spec):
    """``{class: per-row instances}``: how many instances each class asked
    leaves room for on each host (0 where ``max_unit`` is too small)."""
    bounds = {}
    for name, amount in sorted(spec.resources.items()):
        if amount <= 0:
            continue
        room = np.floor(np.maximum(table.free(name), 0) / amount)
        if name in spec.custom_resources:
            room = np.where(table.max_unit(name) >= amount, room, 0)
        bounds[name] = room.astype(np.int64)
    return bounds


def resource_bound(table, spec):
    """Per row, the instances every class asked leaves room for."""
    bound = np.full(len(table), _UNBOUNDED, dtype=np.int64)
    for room in class_bounds(table, spec).values():
        np.minimum(bound, room, out=bound)
    return bound


def per_host(filters, table, spec, candidates, one_request=True, most=None):
    """Per row, how many instances in a row the host takes (at most
    ``most``): 0 off ``candidates`` (the rows that pass for the first
    instance); as instances of one request (``one_request``) or each its
    own request (``HostTable.consumed``'s ``io_ops``).

    The search starts at the resource bound; a host that passes there
    (the usual case) needs no more asking.
    """
    low = candidates.astype(np.int64)
    high = np.maximum(resource_bound(table, spec), low)
    if most is not None:
        np.minimum(high, max(most, 1), out=high)
    high = np.where(candidates, high, 0)
    probe = high
    while True:
        open_ = low < high
        if not open_.any():
            return low
        # Does instance number ``probe`` fit, after ``probe - 1``?
        probe = np.where(open_, probe, 1)
        fits = passing(filters, table.consumed(probe - 1, spec, one_request),
                       spec, alive=open_)
        low = np.where(open_ & fits, probe, low)
        high = np.where(open_ & ~fits, probe - 1, high)
        probe = (low + high + 1) // 2


def group_caps(table, spec, counts, first_pick):
    """``counts`` with the group's hard policy applied: what the driver
    could place on each host, instance after instance.

    ``first_pick(spec)`` is the row the driver would choose first; it is
    called only for an ``affinity`` group without members, where every
    instance follows the first.
    """
    if spec.group_policy == 'anti-affinity':
        return np.minimum(counts, 1)
    if spec.group_policy == 'affinity' and not spec.group_hosts:
        capped = np.zeros_like(counts)
        if counts.any():
            row = first_pick(spec)
            capped[row] = counts[row]
        return capped
    return counts


def placeable(filters, table, spec, first_pick, candidates=None,
              one_request=True, most=None):
    """``(candidates, per-row placeable counts)`` of ``spec``, each at
    most ``most``."""
    if candidates is None:
        candidates = passing(filters, table, spec)
    if spec.group_policy == 'anti-affinity':
        # One per host whatever the resources: nothing to search.
        most = 1
    counts = per_host(filters, table, spec, candidates, one_request, most)
    return candidates, group_caps(table, spec, counts, first_pick)


def fits(filters, table, spec, num_instances, first_pick):
    """``(hosts, fits)``: how many hosts take one instance, and whether the
    driver would place all ``num_instances``."""
    candidates = passing(filters, table, spec)
    hosts = int(np.count_nonzero(candidates))
    if not hosts or num_instances == 1:
        return hosts, bool(hosts)
    # No host needs to take more than all of them.
    _, counts = placeable(filters, table, spec, first_pick, candidates,
                          most=num_instances)
    return hosts, int(counts.sum()) >= num_instances
