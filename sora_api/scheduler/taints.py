"""Host taints and request tolerations, as Kubernetes matches them.

A taint (``key``, ``value``, ``effect``) keeps requests off a host unless
they tolerate it: ``NoSchedule`` removes the host, ``PreferNoSchedule``
only lowers its weight. A toleration matches a taint when its ``effect``
is absent or the same, its ``key`` is absent (then the operator is
``Exists``: every key) or the same, and, with operator ``Equal``, its
``value`` is the taint's.

Hosts share few distinct sets of taints, so a request's answer is
computed once per distinct set and spread over the table by its codes:
no Python loop over hosts.
"""

import typing

import numpy as np

NO_SCHEDULE = 'NoSchedule'
PREFER_NO_SCHEDULE = 'PreferNoSchedule'
EFFECTS = (NO_SCHEDULE, PREFER_NO_SCHEDULE)
EQUAL = 'Equal'
EXISTS = 'Exists'
OPERATORS = (EQUAL, EXISTS)


class Taint(typing.NamedTuple):
    key: str
    value: str
    effect: str


class Toleration(typing.NamedTuple):
    key: str | None
    operator: str
    value: str
    effect: str | None

    def tolerates(self, taint):
        return ((self.effect is None or self.effect == taint.effect)
                and (self.key is None or self.key == taint.key)
                and (self.operator == EXISTS or self.value == taint.value))


def taint_of(taint):
    """A ``Taint`` of an API mapping (``value`` default empty) or itself."""
    if isinstance(taint, Taint):
        return taint
    return Taint(taint['key'], taint.get('value', ''), taint['effect'])


def toleration_of(toleration):
    """A ``Toleration`` of an API mapping (``operator`` default ``Equal``)
    or itself."""
    if isinstance(toleration, Toleration):
        return toleration
    return Toleration(toleration.get('key'),
                      toleration.get('operator', EQUAL),
                      toleration.get('value', ''), toleration.get('effect'))


def untolerated(taints, tolerations, effect):
    """The taints of ``effect`` in ``taints`` no toleration matches."""
    return [t for t in taints if t.effect == effect
            and not any(o.tolerates(t) for o in tolerations)]


def untolerated_counts(table, tolerations, effect, sign=1):
    """Per row of a ``HostTable``: how many of its ``effect`` taints the
    ``tolerations`` leave untolerated, times ``sign``.

    NOTE: the answer is the table's kept array (``spread``) while requests
    ask alike, never changed in place: a weigher handing it back as it is
    (-1: fewer weighs more) is reweighed at the changed rows alone.
    """
    codes, distinct, _ = table.factorized(('taints',), lambda: table.taints)
    counts = np.array([sign * len(untolerated(taints, tolerations, effect))
                       for taints in distinct], dtype=np.int64)
    return table.spread(('untolerated', effect, sign), codes, counts)
