"""The host with the most free RAM among those with room, enabled and up."""

import numpy as np

from sora_api.scheduler import drivers
from sora_api.scheduler import weighers
from sora_api.scheduler.drivers import chance


class _FreeRam(weighers.BaseHostWeigher):
    """Free RAM with a fixed multiplier: this driver always spreads."""

    def __init__(self, conf):
        super().__init__(conf)
        self.name = 'RAMWeigher'

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.free('memory_mb'), rows)


class MemoryScheduler(drivers.Scheduler):
    """Deterministic: the most free RAM wins; ties go to the earlier host.

    It ignores ``ram_weight_multiplier`` so the option cannot turn it into
    a stacking scheduler by accident.
    """

    def __init__(self, conf, rng):
        super().__init__(conf, rng)
        self._capacity = chance.CapacityChecks(conf)
        self.filters = self._capacity.standard
        self.weighers = [_FreeRam(conf)]

    def _filters(self, spec):
        return self._capacity(spec)

    def _choose(self, spec, rows, weights):
        return rows[int(np.argmax(weights))]
