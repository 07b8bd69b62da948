"""Host weighers: rank the hosts that passed the filters.

A weigher returns a raw metric for one host; ``weigh_hosts`` normalises each
weigher's metrics to [0, 1] over the candidates, multiplies them by the
weigher's multiplier and sums them, so no single metric dominates by its
unit. A weigher is a ``sora.scheduler.weighers`` stevedore plugin; its
entry-point name is the key of its contribution in ``WeighedHost.weights``.
"""

import dataclasses


@dataclasses.dataclass(slots=True)
class WeighedHost:
    """A candidate with its total weight and each weigher's contribution."""

    host: object
    weight: float
    weights: dict


class BaseHostWeigher:
    """Base class of every host weigher.

    Subclasses implement ``_weigh_object`` (a larger raw value means a
    larger share of the multiplier) and usually ``weight_multiplier``,
    which reads its option on each call, as Nova does: it runs once per
    request, not once per host.
    """

    def __init__(self, conf):
        self.conf = conf
        # The loader replaces this with the entry-point name.
        self.name = type(self).__name__

    def weight_multiplier(self):
        """How much this weigher counts; the sign picks the direction."""
        return 1.0

    def _weigh_object(self, host_state, spec):
        """Return the raw metric of ``host_state`` for ``spec``."""
        raise NotImplementedError()

    def weigh_objects(self, hosts, spec):
        """Return the raw metric of every host, in order."""
        return [self._weigh_object(host, spec) for host in hosts]


def normalize(values):
    """Min-max normalise ``values`` to [0, 1]; all equal gives all 0.0."""
    if not values:
        return []
    low, high = min(values), max(values)
    if low == high:
        return [0.0] * len(values)
    span = float(high - low)
    return [(value - low) / span for value in values]


def weigh_hosts(weighers, hosts, spec):
    """Return ``WeighedHost``s for ``hosts``, best (highest weight) first.

    The sort is stable: equally weighed hosts keep their input order, which
    the driver may then shuffle.
    """
    names = [weigher.name for weigher in weighers]
    columns = [_contributions(weigher, hosts, spec) for weigher in weighers]
    # One row of contributions per host; zip(*[]) would yield no row at all.
    rows = zip(*columns) if columns else [()] * len(hosts)
    weighed = [WeighedHost(host, float(sum(row)), dict(zip(names, row)))
               for host, row in zip(hosts, rows)]
    weighed.sort(key=lambda candidate: candidate.weight, reverse=True)
    return weighed


def _contributions(weigher, hosts, spec):
    """One weigher's normalised metric times its multiplier, per host."""
    multiplier = weigher.weight_multiplier()
    if not multiplier:
        # A disabled weigher still shows up, at no cost per host.
        return [0.0] * len(hosts)
    # ``or 0.0`` turns the -0.0 of a negative multiplier into 0.0.
    return [value * multiplier or 0.0
            for value in normalize(weigher.weigh_objects(hosts, spec))]
