"""Weigh hosts by their free amount of chosen resource classes."""

import numpy as np

from sora_api import capacity
from sora_api import exception
from sora_api.scheduler import weighers

OPTION = '[filter_scheduler] resource_class_weight_multipliers'


def multipliers(conf):
    """``{class: multiplier}`` of the option; a bad entry stops the start."""
    parsed = {}
    for name, value in conf.filter_scheduler.resource_class_weight_multipliers\
            .items():
        if name not in capacity.STANDARD and not capacity.is_custom(name):
            raise exception.ConfigurationError(
                reason='%s: %r is not a resource class' % (OPTION, name))
        try:
            parsed[name] = float(value)
        except ValueError:
            raise exception.ConfigurationError(
                reason='%s: the multiplier of %s, %r, is not a number'
                       % (OPTION, name, value)) from None
    return parsed


class ResourceClassWeigher(weighers.BaseHostWeigher):
    """More free of a class weighs more, times the class's multiplier:
    positive spreads, negative stacks (and keeps other requests away).

    Each class's free amounts are normalised over the candidates and
    multiplied by its multiplier; the framework then normalises the sum
    again, so ``weight_multiplier`` is the sum of the multipliers' sizes:
    the most the classes together can count for.
    """

    def __init__(self, conf):
        super().__init__(conf)
        self.multipliers = multipliers(conf)

    def weight_multiplier(self):
        return sum(abs(m) for m in self.multipliers.values())

    def weigh_rows(self, table, rows, spec):
        """Sum over the classes of the candidates' normalised free amounts
        times their multipliers."""
        raw = np.zeros(len(rows))
        for name, multiplier in sorted(self.multipliers.items()):
            raw += weighers.normalize(table.free(name)[rows]) * multiplier
        return raw
