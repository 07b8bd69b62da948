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

    NOTE: the framework min-max normalises whatever ``weigh_rows`` returns
    and multiplies it by ``weight_multiplier``, a number fixed before the
    raw values are seen. With one class that is exact: the raw value is
    the already normalised free amount (normalising it again changes
    nothing) and the multiplier is the class's own, so a GPU host under
    ``CUSTOM_GPU_A100:-1.0`` shows -1.0 and a host without GPUs 0.0. With
    several classes the raw value is the contract's sum, so the ranking is
    the contract's, but the framework's second normalisation rescales the
    shown share to [0, sum of the multipliers' sizes]; showing the sum
    itself needs a framework hook for weighers whose values are final.
    """

    def __init__(self, conf):
        super().__init__(conf)
        self.multipliers = {name: m for name, m in multipliers(conf).items()
                            if m}

    def weight_multiplier(self):
        if len(self.multipliers) == 1:
            return next(iter(self.multipliers.values()))
        return sum(abs(m) for m in self.multipliers.values())

    def weigh_rows(self, table, rows, spec):
        """The contract's share before the framework's normalisation:
        with one class its normalised free amounts, with several the sum
        of those times each class's multiplier."""
        if len(self.multipliers) == 1:
            [name] = self.multipliers
            return weighers.normalize(table.free(name)[rows])
        raw = np.zeros(len(rows))
        for name, multiplier in sorted(self.multipliers.items()):
            raw += weighers.normalize(table.free(name)[rows]) * multiplier
        return raw
