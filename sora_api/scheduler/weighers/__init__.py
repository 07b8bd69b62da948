"""Host weighers: rank the hosts that passed the filters.

A weigher returns a raw metric for one host; ``weigh_hosts`` normalises each
weigher's metrics to [0, 1] over the candidates, multiplies them by the
weigher's multiplier and sums them, so no single metric dominates by its
unit. A weigher is a ``sora.scheduler.weighers`` stevedore plugin; its
entry-point name is the key of its contribution in ``WeighedHost.weights``.
"""

import dataclasses

import numpy as np

from sora_api.scheduler import host_table


@dataclasses.dataclass(slots=True)
class WeighedHost:
    """A candidate with its total weight and each weigher's contribution."""

    host: object
    weight: float
    weights: dict


class BaseHostWeigher:
    """Base class of every host weigher.

    The framework calls one method, ``weigh_rows``. Its default asks
    ``_weigh_object`` host by host (a larger raw value means a larger
    share of the multiplier), so a third-party weigher needs only that;
    the built-in weighers override ``weigh_rows`` and read the table's
    columns. ``weight_multiplier`` reads its option on each call, as Nova
    does: it runs once per request, not once per host.
    """

    def __init__(self, conf):
        self.conf = conf
        # The loader replaces this with the entry-point name.
        self.name = type(self).__name__

    def weight_multiplier(self):
        """How much this weigher counts; the sign picks the direction."""
        return 1.0

    def applies(self, spec):
        """False when this weigher would give every host the same value
        for ``spec`` (it then adds nothing, at no cost per host)."""
        return True

    def _weigh_object(self, host_state, spec):
        """Return the raw metric of ``host_state`` for ``spec``.

        Only the default ``weigh_rows`` calls it: write it, or override
        ``weigh_rows``.
        """
        raise NotImplementedError()

    def weigh_rows(self, table, rows, spec):
        """Raw metrics of rows ``rows`` of a ``HostTable``, as an array."""
        return np.array([self._weigh_object(table.host_state(i), spec)
                         for i in rows], dtype=np.float64)


def normalize(values):
    """Min-max normalise ``values`` to [0, 1]; all equal gives all 0.0."""
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return values
    low, high = values.min(), values.max()
    if low == high:
        return np.zeros(len(values))
    normalised = values - low
    normalised /= high - low
    return normalised


def weigh_rows(weighers, table, rows, spec):
    """Weigh rows ``rows`` of a ``HostTable``.

    Returns ``(weights, contributions)``: the total weight of each row, and
    ``{weigher name: array}`` of each weigher's normalised metric times its
    multiplier.
    """
    total = np.zeros(len(rows))
    # A disabled weigher still shows up, at no cost per host: all of them
    # share one array of zeros, and nothing is added for them.
    zeros = np.zeros(len(rows))
    contributions = {}
    for weigher in weighers:
        multiplier = weigher.weight_multiplier()
        if not multiplier or not len(rows) or not weigher.applies(spec):
            contributions[weigher.name] = zeros
            continue
        # ``+ 0.0`` turns the -0.0 of a negative multiplier into 0.0.
        part = normalize(weigher.weigh_rows(table, rows, spec))
        part *= multiplier
        part += 0.0
        contributions[weigher.name] = part
        total += part
    return total, contributions


def ranking(weights, limit=None):
    """Positions in ``weights``, best first; equal weights keep their order.

    With ``limit``, only the first ``limit`` of them: those are found
    without sorting every candidate.
    """
    if limit is not None and limit < len(weights):
        # Every position weighing at least the limit-th best, in order;
        # ties with it included, so the stable sort keeps their order.
        threshold = np.partition(weights, len(weights) - limit)[-limit]
        best = np.flatnonzero(weights >= threshold)
        return best[np.argsort(-weights[best], kind='stable')][:limit]
    return np.argsort(-weights, kind='stable')


def weighed_hosts(table, rows, weights, contributions, order):
    """``WeighedHost``s of ``rows`` in ``order``, their hosts materialised."""
    return [WeighedHost(table.host_state(rows[o]), float(weights[o]),
                        {name: float(part[o])
                         for name, part in contributions.items()})
            for o in order]


def weigh_hosts(weighers, hosts, spec):
    """Return ``WeighedHost``s for a list of hosts, best first.

    The sort is stable: equally weighed hosts keep their input order, which
    the driver may then shuffle.
    """
    hosts = list(hosts)
    table = host_table.as_table(hosts)
    rows = np.arange(len(hosts))
    weights, contributions = weigh_rows(weighers, table, rows, spec)
    return [WeighedHost(hosts[o], float(weights[o]),
                        {name: float(part[o])
                         for name, part in contributions.items()})
            for o in ranking(weights)]
