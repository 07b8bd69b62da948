"""``hints.spread`` with ``when_unsatisfiable: schedule_anyway``."""

import numpy as np

from sora_api.scheduler import topology_spread
from sora_api.scheduler import weighers


class TopologySpreadWeigher(weighers.BaseHostWeigher):
    """Raw value: minus the skew the host's domain would have after
    placing there, so the least loaded domains weigh most.

    A host without the key's metadata weighs one below the worst host
    that has it: a spread is still a wish to be somewhere in its domains.
    """

    def applies(self, spec):
        return (spec.spread is not None
                and spec.spread.when_unsatisfiable == 'schedule_anyway')

    def weight_multiplier(self):
        return self.conf.filter_scheduler.topology_spread_weight_multiplier

    def weigh_rows(self, table, rows, spec):
        eligible = np.zeros(len(table), dtype=bool)
        eligible[rows] = True
        skew, has_domain = topology_spread.skew_after(table, spec, eligible)
        raw = -skew[rows].astype(np.float64)
        has = has_domain[rows]
        if has.any() and not has.all():
            raw[~has] = raw[has].min() - 1
        return raw
