"""A random host among those with room that are enabled and up."""

import numpy as np

from sora_api.scheduler import drivers
from sora_api.scheduler.filters import compute
from sora_api.scheduler.filters import resources


def capacity_filters(conf):
    """The checks every driver needs so that a claim can succeed."""
    return [compute.ComputeFilter(conf), resources.RamFilter(conf),
            resources.CoreFilter(conf), resources.DiskFilter(conf)]


class ChanceScheduler(drivers.Scheduler):
    """Uniform random choice: no weighing, no hint but resources.

    Useful as a baseline and where placement quality does not matter. Its
    dry-run ranking lists every candidate with weight 0 in input order,
    since each is equally likely.
    """

    def __init__(self, conf, rng):
        super().__init__(conf, rng)
        self.filters = capacity_filters(conf)

    def _weigh(self, spec, table, rows):
        return np.zeros(len(rows)), {}

    def _choose(self, spec, rows, weights):
        return self.rng.choice(list(rows))
