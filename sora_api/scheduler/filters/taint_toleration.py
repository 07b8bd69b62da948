"""Keep requests off hosts with a ``NoSchedule`` taint they do not tolerate."""

from sora_api.scheduler import filters
from sora_api.scheduler import taints


class TaintTolerationFilter(filters.BaseHostFilter):
    """Kubernetes' rule: a host passes when the request tolerates every
    ``NoSchedule`` taint it has. It runs for every request, tolerations or
    not, since the taints are the hosts'; the answer is computed once per
    distinct set of taints in the fleet.
    """

    reads = ('tolerations',)
    row_local = True

    def filter_mask(self, table, alive, spec):
        return self.rows_pass(table, slice(None), spec)

    def rows_pass(self, table, rows, spec):
        return taints.untolerated_counts(table, spec.tolerations,
                                         taints.NO_SCHEDULE)[rows] == 0

    def explain(self, table, row, spec):
        left = taints.untolerated(table.taints[row], spec.tolerations,
                                  taints.NO_SCHEDULE)
        shown = ', '.join(sorted(f'{t.key}={t.value}:{t.effect}'
                                 for t in left))
        return f'has taints the request does not tolerate: {shown}'
