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
and of any query on free amounts that asks for "at least". A filter that
``runs_last`` judges a host against the others (``TopologySpreadFilter``
keeps domains within a skew of the least loaded one that has room): it
decides where the next instance may go, not how many fit, since the least
loaded domain with room can always take one. It counts for the first
instance; for the counting it is asked as if the group had no members
yet, which leaves out only the hosts it never takes (those without a
domain).
"""

import dataclasses

import numpy as np

from sora_api.scheduler import domains

# More instances than any host takes: the bound of a request whose every
# class is unbounded (never, as one class is > 0, but safe).
_UNBOUNDED = np.iinfo(np.int64).max // 4


def applying(filters, spec, counting=False):
    """The filters that run for ``spec``, in the driver's order (those
    that ``runs_last`` are already after the others; none of them when
    ``counting``)."""
    return [f for f in filters
            if f.applies(spec) and not (counting and f.runs_last)]


def passing(filters, table, spec, alive=None, counting=False):
    """Rows every filter passes, asked in order as the driver asks them
    (each filter sees the rows the earlier ones left)."""
    mask = np.ones(len(table), dtype=bool) if alive is None else alive.copy()
    for host_filter in applying(filters, spec, counting):
        if not mask.any():
            break
        mask &= host_filter.filter_mask(table, mask, spec)
    return mask


def counted(filters, table, spec):
    """The rows the counting starts from: those every filter passes, the
    ones that ``runs_last`` asked as if the group had no members."""
    rows = passing(filters, table, spec, counting=True)
    last = [f for f in filters if f.runs_last and f.applies(spec)]
    if last and rows.any():
        empty = dataclasses.replace(spec, group_hosts={})
        for host_filter in last:
            rows &= host_filter.filter_mask(table, rows, empty)
    return rows


def masks(filters, table, spec):
    """``{filter name: mask}`` of every filter that applies, each asked
    about every row (so a host failing several filters shows them all).

    One that ``runs_last`` is asked about the rows every other filter
    keeps, and fails no other row.
    """
    everyone = np.ones(len(table), dtype=bool)
    others = everyone.copy()
    found = {}
    for host_filter in applying(filters, spec):
        if host_filter.runs_last:
            found[host_filter.name] = (
                host_filter.filter_mask(table, others, spec) | ~others)
        else:
            found[host_filter.name] = host_filter.filter_mask(
                table, everyone, spec)
            others &= found[host_filter.name]
    return found


def class_bounds(table, spec, rows=None):
    """``{class: per-row instances}``: how many instances each class asked
    leaves room for on each host (0 where ``max_unit`` is too small); on
    the ``rows`` given only, when given."""
    every = slice(None) if rows is None else rows
    bounds = {}
    for name, amount in sorted(spec.resources.items()):
        if amount <= 0:
            continue
        room = np.floor(np.maximum(table.free(name)[every], 0) / amount)
        if name in spec.custom_resources:
            room = np.where(table.max_unit(name)[every] >= amount, room, 0)
        bounds[name] = room.astype(np.int64)
    return bounds


def resource_bound(table, spec, rows):
    """On ``rows``, the instances every class asked leaves room for."""
    bound = np.full(len(rows), _UNBOUNDED, dtype=np.int64)
    for room in class_bounds(table, spec, rows).values():
        np.minimum(bound, room, out=bound)
    return bound


def per_host(filters, table, spec, candidates, one_request=True, most=None):
    """Per row, how many instances in a row the host takes (at most
    ``most``): 0 off ``candidates`` (the rows that pass for the first
    instance); as instances of one request (``one_request``) or each its
    own request (``HostTable.consumed``'s ``io_ops``).

    The search starts at the resource bound; a host that passes there
    (the usual case) needs no more asking. Only the candidates are
    searched, but each probe's view is of every host.
    """
    counts = np.zeros(len(table), dtype=np.int64)
    rows = np.flatnonzero(candidates)
    if not len(rows):
        return counts
    low = np.ones(len(rows), dtype=np.int64)
    high = np.maximum(resource_bound(table, spec, rows), 1)
    if most is not None:
        np.minimum(high, max(most, 1), out=high)
    probe = high
    while True:
        open_ = low < high
        if not open_.any():
            counts[rows] = low
            return counts
        # Does instance number ``probe`` fit, after ``probe - 1``?
        taken = np.zeros(len(table), dtype=np.int64)
        taken[rows] = np.where(open_, probe - 1, 0)
        alive = np.zeros(len(table), dtype=bool)
        alive[rows[open_]] = True
        fits = passing(filters, table.consumed(taken, spec, one_request),
                       spec, alive=alive, counting=True)[rows]
        low = np.where(open_ & fits, probe, low)
        high = np.where(open_ & ~fits, probe - 1, high)
        probe = (low + high + 1) // 2


def group_caps(table, spec, counts, first_pick):
    """``counts`` with the group's hard policy applied: what the driver
    could place on each host, instance after instance.

    Anti-affinity: each domain of the topology key takes at most
    ``max_per_domain`` members, those there already included. Affinity
    without members: every instance follows the first into its domain;
    ``first_pick(spec)`` is the row the driver would choose first.
    """
    if spec.group_policy == 'anti-affinity':
        row_codes, members = domains.member_counts(
            table, spec.group_topology_key, spec.group_hosts)
        room = np.maximum(spec.max_per_domain - members, 0)
        return _fill(row_codes, np.where(row_codes == domains.NONE, 0,
                                         counts), room)
    if spec.group_policy == 'affinity' and not spec.group_hosts:
        if not counts.any():
            return counts
        row_codes, _ = domains.codes(table, spec.group_topology_key)
        first = row_codes[first_pick(spec)]
        return np.where(row_codes == first, counts, 0)
    return counts


def _fill(row_codes, counts, room):
    """``counts`` cut so that each domain holds at most its ``room``,
    filled in row order (which hosts of a domain take them is the
    weighers' choice; how many the domain takes is not)."""
    rows = np.flatnonzero(counts)
    if not len(rows):
        return counts
    codes = row_codes[rows]
    order = np.lexsort((rows, codes))
    rows, codes = rows[order], codes[order]
    wanted = counts[rows]
    ahead = np.cumsum(wanted) - wanted
    before = ahead - ahead[np.searchsorted(codes, codes)]
    capped = np.zeros_like(counts)
    capped[rows] = np.clip(room[codes] - before, 0, wanted)
    return capped


def placeable(filters, table, spec, first_pick, candidates=None,
              one_request=True, most=None):
    """``(candidates, per-row placeable counts)`` of ``spec``, each at
    most ``most``; ``candidates`` the rows counted (every filter but
    those that ``runs_last``)."""
    if candidates is None:
        candidates = counted(filters, table, spec)
    if spec.group_policy == 'anti-affinity':
        # No host takes more than its domain: less to search.
        most = min(most or spec.max_per_domain, spec.max_per_domain)
    counts = per_host(filters, table, spec, candidates, one_request, most)
    return candidates, group_caps(table, spec, counts, first_pick)


def fits(filters, table, spec, num_instances, first_pick):
    """``(hosts, fits)``: how many hosts take one instance, and whether the
    driver would place all ``num_instances``."""
    every = passing(filters, table, spec)
    hosts = int(np.count_nonzero(every))
    if not hosts or num_instances == 1:
        return hosts, bool(hosts)
    if any(f.runs_last for f in applying(filters, spec)):
        every = None
    # No host needs to take more than all of them.
    _, counts = placeable(filters, table, spec, first_pick, every,
                          most=num_instances)
    return hosts, int(counts.sum()) >= num_instances
