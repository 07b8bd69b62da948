"""Why a request did not fit: the nearest hosts, and what would make it fit.

``nearest`` asks every filter about every host once and ranks the hosts
that failed by how many filters failed them, then by how much they lack.
``relaxations`` changes one thing of the request at a time (a smaller
amount of a class, another zone, one trait or metadata pair less, one
more toleration, a soft group policy, one hint less) and re-runs the
driver's filters over the host table with it (``fit.Asked``, which asks
again only the filters that read what changed): only changes with which
every instance of the request would be placed are offered. Both are
free of HTTP; the request paths they name are the contract's
(``resources.MEMORY_MB``).
"""

import dataclasses
import math

import numpy as np

from sora_api import capacity
from sora_api.scheduler import fit
from sora_api.scheduler import request_spec
from sora_api.scheduler import taints

NEAREST = 5
# Hints whose spec attribute has the hint's name: dropping one resets the
# attribute to its default (a new hint joins by being named here).
HINTS = ('same_host', 'different_host', 'query', 'ignore_hosts',
         'force_hosts', 'spread')
_SOFT = {'affinity': 'soft-affinity', 'anti-affinity': 'soft-anti-affinity'}
_DEFAULTS = {
    f.name: (f.default if f.default_factory is dataclasses.MISSING
             else f.default_factory())
    for f in dataclasses.fields(request_spec.RequestSpec)}


def shortfalls(table, spec, rows=None):
    """``{class: per-row amount lacking for one instance}`` (on ``rows``
    only, when given)."""
    every = slice(None) if rows is None else rows
    lacking = {}
    for name, amount in sorted(spec.resources.items()):
        if amount <= 0:
            continue
        lack = amount - table.free(name)[every]
        if name in spec.custom_resources:
            lack = np.maximum(lack, amount - table.max_unit(name)[every])
        lacking[name] = np.maximum(lack, 0)
    return lacking


def nearest(filters, table, spec, limit=NEAREST):
    """Up to ``limit`` hosts some filter failed, closest first: fewest
    filters failed, then the smallest shortfall (the sum over classes of
    what is lacking, as a share of what is asked), then table order.

    Shortfalls are computed only for the hosts at the fewest failures
    that hold ``limit`` hosts, and among those failing as many as the
    last one, first for the earliest few (``_closest``).
    """
    if not len(table):
        return []
    by_filter = fit.masks(filters, table, spec)
    # The smallest integers that count them: a pass over 100k hosts per
    # filter is then a small share of a dry run.
    failed = np.full(len(table), len(by_filter),
                     dtype=np.min_scalar_type(len(by_filter)))
    for mask in by_filter.values():
        np.subtract(failed, mask, out=failed, casting='unsafe')
    # The fewest failures ``cut`` such that the hosts failing 1..cut
    # filters are at least ``limit`` (or all of them).
    cut, counted = 0, 0
    while counted < limit and cut < len(by_filter):
        cut += 1
        counted += np.count_nonzero(failed == cut)
    if not counted:
        return []
    below = np.flatnonzero((failed > 0) & (failed < cut))
    at_cut = _closest(table, spec, np.flatnonzero(failed == cut),
                      limit - len(below))
    rows = np.concatenate([below, at_cut])
    lacking, share = _shares(table, spec, rows)
    order = np.lexsort((rows, share, failed[rows]))
    return [{'host_id': table.ids[rows[i]], 'host_name': table.names[rows[i]],
             'failed_filters': [name for name, mask in by_filter.items()
                                if not mask[rows[i]]],
             'shortfall': {name: int(math.ceil(lack[i]))
                           for name, lack in lacking.items() if lack[i] > 0}}
            for i in order]


def _shares(table, spec, rows):
    """``(shortfalls, share)`` on ``rows``: share = the sum over classes
    of what is lacking, as a share of what is asked."""
    lacking = shortfalls(table, spec, rows)
    share = np.zeros(len(rows))
    for name, lack in lacking.items():
        share += lack / spec.resources[name]
    return lacking, share


# How many of the hosts failing as many filters are looked at first for
# those lacking nothing, per host wanted.
_EARLIEST = 8


def _closest(table, spec, rows, wanted):
    """The ``wanted`` of ``rows`` (in table order) with the smallest
    share, the earlier first on a tie, in table order."""
    if len(rows) <= wanted:
        return rows
    # Usually another filter than a resource one failed them: the first
    # hosts lacking nothing are the closest, and likely early.
    head = rows[:_EARLIEST * wanted]
    lacks_nothing = head[_shares(table, spec, head)[1] <= 0]
    if len(lacks_nothing) >= wanted:
        return lacks_nothing[:wanted]
    share = _shares(table, spec, rows)[1]
    bound = np.partition(share, wanted - 1)[wanted - 1]
    under = rows[share < bound]
    return np.sort(np.concatenate(
        [under, rows[share == bound][:wanted - len(under)]]))


class Relaxer:
    """Finds the single changes to ``spec`` with which all its
    ``num_instances`` would be placed on ``table`` now."""

    def __init__(self, filters, table, spec, first_pick):
        self.table = table
        self.spec = spec
        self.asked = fit.Asked(filters, table, spec, first_pick)
        # The searches ask again about the change they settle on.
        self._known = {}

    def fits(self, spec):
        key = repr(spec)
        if key not in self._known:
            self._known[key] = self.asked.fits(spec, self.spec.num_instances)
        return self._known[key]

    def relaxations(self):
        found = []
        for field, to, relaxed in self._changes():
            hosts, fits = self.fits(relaxed)
            if fits:
                found.append({'field': field, 'to': to, 'hosts': hosts})
        return found

    def _changes(self):
        """``(field, to, relaxed spec)`` of each change worth trying."""
        yield from self._smaller_amounts()
        yield from self._other_zones()
        spec = self.spec
        for trait in sorted(spec.required_traits):
            rest = spec.required_traits - {trait}
            yield ('required_traits', sorted(rest) or None,
                   self._with(required_traits=rest))
        for trait in sorted(spec.forbidden_traits):
            rest = spec.forbidden_traits - {trait}
            yield ('forbidden_traits', sorted(rest) or None,
                   self._with(forbidden_traits=rest))
        for key in sorted(spec.metadata):
            rest = {k: v for k, v in spec.metadata.items() if k != key}
            yield f'metadata.{key}', None, self._with(metadata=rest)
        yield from self._tolerations()
        # NOTE: a group's first live schedule fixes its policy (another is
        # a 409): only a group without members may change it.
        if spec.group_policy in _SOFT and not spec.group_hosts:
            soft = _SOFT[spec.group_policy]
            if spec.max_per_domain == 1:
                # A soft policy takes no max_per_domain.
                yield ('hints.group_policy', soft,
                       self._with(group_policy=soft))
            yield from self._more_per_domain()
        for hint in HINTS:
            if getattr(spec, hint) != _DEFAULTS[hint]:
                yield f'hints.{hint}', None, self._with(
                    **{hint: _DEFAULTS[hint]})

    def _with(self, **changes):
        return dataclasses.replace(self.spec, **changes)

    def _with_amount(self, name, amount):
        field = capacity.STANDARD.get(name)
        if field is not None:
            return self._with(**{field: amount})
        custom = dict(self.spec.custom_resources)
        if amount is None:
            custom.pop(name)
        else:
            custom[name] = amount
        return self._with(custom_resources=custom)

    def _smaller_amounts(self):
        """Per class asked, the largest smaller amount that fits.

        The hosts that pass without the class bound it (none can give
        more than its free amount, or its ``max_unit``); the largest
        amount that fits is then searched below that bound.
        """
        for name, amount in sorted(self.spec.resources.items()):
            if amount <= 1:
                continue
            without = self._with_amount(
                name, 0 if name in capacity.STANDARD else None)
            if not any(a for a in without.resources.values()):
                # Nothing else asked: any positive amount is a request.
                without = self._with_amount(name, 1)
            others = self.asked.passing(without)
            room = self.table.free(name)
            if name in self.spec.custom_resources:
                room = np.minimum(room, self.table.max_unit(name))
            if not others.any():
                continue
            bound = min(amount - 1, int(np.floor(room[others].max())))
            best = self._largest_fitting(name, bound)
            if best is not None:
                yield (f'resources.{name}', best,
                       self._with_amount(name, best))

    def _largest_fitting(self, name, bound):
        """The largest amount in 1..``bound`` of class ``name`` that fits
        (fitting is monotone in the amount), or None."""
        if bound < 1:
            return None
        if self.fits(self._with_amount(name, bound))[1]:
            return bound
        if bound == 1 or not self.fits(self._with_amount(name, 1))[1]:
            # Not even the least amount: something else stands in the way.
            return None
        low, high = 1, bound - 1
        while low < high:
            middle = (low + high + 1) // 2
            if self.fits(self._with_amount(name, middle))[1]:
                low = middle
            else:
                high = middle - 1
        return low

    def _tolerations(self):
        """One more toleration, for each ``NoSchedule`` taint left
        untolerated on a host that passes every other filter."""
        spec = self.spec
        codes, distinct, _ = self.table.factorized(
            ('taints',), lambda: self.table.taints)
        if not any(taints.untolerated(found, spec.tolerations,
                                      taints.NO_SCHEDULE)
                   for found in distinct):
            # No host has a taint to tolerate: spare a pass over them.
            return
        anything = taints.Toleration(None, taints.EXISTS, '', None)
        anywhere = self.asked.passing(self._with(tolerations=(anything,)))
        left = {taint for code in np.unique(codes[anywhere])
                for taint in taints.untolerated(
                    distinct[code], spec.tolerations, taints.NO_SCHEDULE)}
        shown = [_toleration_view(t) for t in spec.tolerations]
        for taint in sorted(left):
            added = taints.Toleration(taint.key, taints.EQUAL, taint.value,
                                      taint.effect)
            yield ('tolerations', shown + [_toleration_view(added)],
                   self._with(tolerations=spec.tolerations + (added,)))

    def _more_per_domain(self):
        """Anti-affinity: the fewest members per domain that fit."""
        spec = self.spec
        if spec.group_policy != 'anti-affinity':
            return
        low, high = spec.max_per_domain + 1, spec.num_instances
        if low > high or not self.fits(self._with(max_per_domain=high))[1]:
            return
        while low < high:
            middle = (low + high) // 2
            if self.fits(self._with(max_per_domain=middle))[1]:
                high = middle
            else:
                low = middle + 1
        yield ('hints.max_per_domain', low,
               self._with(max_per_domain=low))

    def _other_zones(self):
        """Each other zone that has a host passing the other filters."""
        zone = self.spec.availability_zone
        if zone is None:
            return
        anywhere = self.asked.passing(self._with(availability_zone=None))
        codes, distinct, _ = zone_codes(self.table)
        zones = {distinct[c] for c in np.unique(codes[anywhere])}
        for other in sorted(zones - {zone}):
            yield ('availability_zone', other,
                   self._with(availability_zone=other))


def zone_codes(table):
    """``HostTable.factorized`` of the zones (JsonFilter's key, so shared)."""
    return table.factorized(('zones',), lambda: table.zones)


def _toleration_view(toleration):
    """A ``taints.Toleration`` as the request spells it."""
    view = {'operator': toleration.operator}
    if toleration.key is not None:
        view['key'] = toleration.key
    if toleration.operator == taints.EQUAL:
        view['value'] = toleration.value
    if toleration.effect is not None:
        view['effect'] = toleration.effect
    return view


def offerable(request, relaxations):
    """``relaxations`` a client can apply to ``request`` as they are: a
    soft policy is not one when the request names ``max_per_domain``
    (which only ``anti-affinity`` takes), even at 1."""
    if 'max_per_domain' not in request.get('hints', {}):
        return relaxations
    return [r for r in relaxations if r['field'] != 'hints.group_policy']
