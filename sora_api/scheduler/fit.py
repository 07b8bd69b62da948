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

from sora_api import topology
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


class Asked:
    """Whether all ``num_instances`` of a request, or of its relaxations,
    fit on ``table``: the filters' answers about ``spec`` are kept for
    the specs asked next, which change a field or two of it.

    A filter that declares ``reads`` is asked again only about a spec
    that changes one of those fields (its answer for a row does not
    depend on which other rows are alive, as ``masks`` assumes); one
    that ``runs_last`` is always asked again. The per-host counts of a
    spec are those of an earlier one when the filters that count apply
    to both and read the same values, the instances consume the same
    and the candidates are the same (capped at the smaller ``most``:
    a filter keeps failing a host once it failed it).
    """

    def __init__(self, filters, table, spec, first_pick):
        self.filters = filters
        self.table = table
        self.spec = spec
        self.first_pick = first_pick
        self._masks = {}
        self._counts = []

    def fits(self, spec, num_instances):
        """``(hosts, fits)``: how many hosts take one instance of ``spec``,
        and whether the driver would place all ``num_instances``."""
        every = self.passing(spec)
        hosts = int(np.count_nonzero(every))
        if not hosts or num_instances == 1:
            return hosts, bool(hosts)
        if any(f.runs_last for f in applying(self.filters, spec)):
            every = counted(self.filters, self.table, spec)
        return hosts, self._all_fit(spec, every, num_instances)

    def passing(self, spec):
        """``passing(filters, table, spec)``: the kept answers of the
        filters ``spec`` leaves as they were, then the others asked in
        order about the rows left."""
        kept = tuple(index for index, f in enumerate(self.filters)
                     if not f.runs_last and self._same(f, spec)
                     and f.applies(spec))
        mask = self._kept(kept).copy()
        for index, host_filter in enumerate(self.filters):
            if index in kept or not host_filter.applies(spec):
                continue
            if not mask.any():
                break
            mask &= host_filter.filter_mask(self.table, mask, spec)
        return mask

    def _same(self, host_filter, spec):
        """Whether ``host_filter`` answers ``spec`` as ``self.spec``."""
        reads = host_filter.reads
        return reads is not None and all(
            getattr(spec, name) == getattr(self.spec, name)
            for name in reads)

    def _kept(self, kept):
        """The rows the filters numbered ``kept`` all pass for
        ``self.spec``, each asked once about every row."""
        if kept not in self._masks:
            if len(kept) == 1:
                self._masks[kept] = self.filters[kept[0]].filter_mask(
                    self.table, np.ones(len(self.table), dtype=bool),
                    self.spec)
            else:
                self._masks[kept] = np.logical_and.reduce(
                    [self._kept((index,)) for index in kept],
                    initial=True, axis=0) if kept else np.ones(
                        len(self.table), dtype=bool)
        return self._masks[kept]

    def _all_fit(self, spec, candidates, wanted):
        """Whether ``placeable``'s counts on ``candidates`` add up to
        ``wanted``.

        Each candidate takes at least one instance and at most ``most``
        or what its resources leave room for (``per_host``'s search
        starts between the two), and the group's caps only grow with
        the counts: when the capped total of the least already reaches
        ``wanted``, or that of the most falls short, no filter is asked.
        """
        first_pick = _once(self.first_pick)
        rows = np.flatnonzero(candidates)
        most = wanted
        if spec.group_policy == 'anti-affinity':
            most = min(most, spec.max_per_domain)
        if capped_total(self.table, spec, rows, 1, first_pick) >= wanted:
            return True
        if capped_total(self.table, spec, rows, most, first_pick) < wanted:
            # The group's caps, before the resources are looked at.
            return False
        room = np.clip(resource_bound(self.table, spec, rows), 1, most)
        if capped_total(self.table, spec, rows, room, first_pick) < wanted:
            return False
        counts = self._per_host(spec, candidates, most)[rows]
        return capped_total(self.table, spec, rows, counts,
                            first_pick) >= wanted

    def _per_host(self, spec, candidates, most):
        """``per_host(filters, table, spec, candidates, most=most)``."""
        signature = self._signature(spec)
        for known, known_most, known_candidates, counts in self._counts:
            if (known == signature and known_most >= most
                    and np.array_equal(known_candidates, candidates)):
                return np.minimum(counts, max(most, 1))
        counts = per_host(self.filters, self.table, spec, candidates,
                          most=most)
        if signature is not None:
            self._counts.append((signature, most, candidates, counts))
        return counts

    def _signature(self, spec):
        """What the counting of ``spec`` depends on, or None when a filter
        that counts does not say what it reads."""
        counting = applying(self.filters, spec, counting=True)
        if any(f.reads is None for f in counting):
            return None
        return ((spec.vcpus, spec.memory_mb, spec.disk_gb,
                 spec.custom_resources),
                [(f.name, [getattr(spec, name) for name in f.reads])
                 for f in counting])


def capped_total(table, spec, rows, counts, first_pick):
    """``group_caps(...).sum()`` of ``counts`` on ``rows`` (ascending;
    0 elsewhere), from the domains' totals alone; ``counts`` an array
    over ``rows`` or one count for each."""
    if not len(rows):
        return 0
    if spec.group_policy == 'anti-affinity':
        return _apart_total(table, spec, rows, counts)
    if spec.group_policy == 'affinity' and not spec.group_hosts:
        row_codes, _ = domains.codes(table, spec.group_topology_key)
        there = row_codes[rows] == row_codes[first_pick(spec)]
        if np.isscalar(counts):
            return counts * int(np.count_nonzero(there))
        return int(counts[there].sum())
    if np.isscalar(counts):
        return counts * len(rows)
    return int(counts.sum())


def _apart_total(table, spec, rows, counts):
    """Anti-affinity: each domain takes the least of its room and what
    its hosts on ``rows`` take. Per host, on those rows alone (no pass
    over every host: a relaxation asks this of few rows)."""
    if spec.group_topology_key == topology.HOST:
        members = np.zeros(len(rows), dtype=np.int64)
        if spec.group_hosts:
            held = table.rows_of(spec.group_hosts)
            weights = np.array([spec.group_hosts[table.ids[r]]
                                for r in held], dtype=np.int64)
            at = np.minimum(np.searchsorted(rows, held), len(rows) - 1)
            on_rows = rows[at] == held
            np.add.at(members, at[on_rows], weights[on_rows])
        room = np.maximum(spec.max_per_domain - members, 0)
        return int(np.minimum(counts, room).sum())
    row_codes, members = domains.member_counts(
        table, spec.group_topology_key, spec.group_hosts)
    room = np.maximum(spec.max_per_domain - members, 0)
    where = row_codes[rows]
    inside = where != domains.NONE
    if np.isscalar(counts):
        # Counting hosts is much cheaper than summing weights.
        per_domain = counts * np.bincount(where[inside],
                                          minlength=len(room))
    else:
        per_domain = np.bincount(where[inside], weights=counts[inside],
                                 minlength=len(room))
    return int(np.minimum(per_domain, room).sum())


def _once(first_pick):
    """``first_pick`` asked at most once: ``_all_fit`` asks about one
    spec."""
    picked = []

    def first(spec):
        if not picked:
            picked.append(first_pick(spec))
        return picked[0]
    return first
