"""Keep the hosts that are enabled and alive."""

from sora_api.scheduler import filters


class ComputeFilter(filters.BaseHostFilter):
    """An operator-disabled host or one that stopped heartbeating gets
    nothing new; liveness is computed by the caller from the heartbeat.
    """

    reads = ()
    row_local = True

    def filter_mask(self, table, alive, spec):
        return table.enabled & table.up

    def rows_pass(self, table, rows, spec):
        return table.enabled[rows] & table.up[rows]

    def explain(self, table, row, spec):
        return 'is %s and %s' % (
            'enabled' if table.enabled[row] else 'disabled',
            'up' if table.up[row] else 'down')
