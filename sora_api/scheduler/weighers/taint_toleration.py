"""Weigh down hosts with ``PreferNoSchedule`` taints the request does not
tolerate."""

from sora_api.scheduler import taints
from sora_api.scheduler import weighers


class TaintTolerationWeigher(weighers.BaseHostWeigher):
    """Raw value: minus the number of the host's untolerated
    ``PreferNoSchedule`` taints, so the request lands there only when
    nothing better is left (Kubernetes' soft taints).
    """

    def weight_multiplier(self):
        return self.conf.filter_scheduler.taint_toleration_weight_multiplier

    def weigh_rows(self, table, rows, spec):
        return weighers.at(taints.untolerated_counts(
            table, spec.tolerations, taints.PREFER_NO_SCHEDULE, sign=-1),
            rows)
