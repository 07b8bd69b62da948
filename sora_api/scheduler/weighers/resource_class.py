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

    The contract's share is the sum over the classes of the multiplier
    times the class's free amounts min-max normalised over the candidates.
    ``weigh_rows`` computes exactly that, so its values are final: the
    bounds 0 and 1 and the multiplier 1.0 make the framework add them, and
    a dry run show them, as they are (normalising the sum again would
    rescale it, and so change its weight against the other weighers).
    """

    minval = 0.0
    maxval = 1.0

    def __init__(self, conf):
        super().__init__(conf)
        self.multipliers = {name: m for name, m in multipliers(conf).items()
                            if m}

    def weight_multiplier(self):
        """1.0: the classes' own multipliers are in the values."""
        return 1.0 if self.multipliers else 0.0

    def weigh_rows(self, table, rows, spec):
        """The contract's share: the sum over the classes of each one's
        normalised free amounts times its multiplier."""
        share = np.zeros(len(rows))
        for name, multiplier in sorted(self.multipliers.items()):
            share += weighers.normalize(
                weighers.at(table.free(name), rows)) * multiplier
        return share
