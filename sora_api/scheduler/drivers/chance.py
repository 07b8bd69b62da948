"""A random host among those with room that are enabled and up."""

import numpy as np

from sora_api.scheduler import drivers
from sora_api.scheduler.filters import compute
from sora_api.scheduler.filters import resources


def capacity_filters(conf):
    """The checks every driver needs so that a claim can succeed."""
    return [compute.ComputeFilter(conf), resources.RamFilter(conf),
            resources.CoreFilter(conf), resources.DiskFilter(conf)]


class CapacityChecks:
    """The capacity filters, and ``ResourcesFilter`` for requests that
    ask custom classes (so the funnel of the others is as in v1)."""

    def __init__(self, conf):
        self.standard = capacity_filters(conf)
        self.every_class = self.standard + [resources.ResourcesFilter(conf)]

    def __call__(self, spec):
        return self.every_class if spec.custom_resources else self.standard


class ChanceScheduler(drivers.Scheduler):
    """Uniform random choice: no weighing, no hint but resources.

    Useful as a baseline and where placement quality does not matter. Its
    dry-run ranking lists every candidate with weight 0 in input order,
    since each is equally likely.
    """

    def __init__(self, conf, rng):
        super().__init__(conf, rng)
        self._capacity = CapacityChecks(conf)
        self.filters = self._capacity.standard

    def _filters(self, spec):
        return self._capacity(spec)

    def _weigh(self, spec, table, rows):
        return np.zeros(len(rows)), {}

    def _choose(self, spec, rows, weights):
        return self.rng.choice(list(rows))
