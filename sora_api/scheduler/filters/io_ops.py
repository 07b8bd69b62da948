"""Keep the hosts that are not too busy with in-flight work."""

from sora_api.scheduler import filters


class IoOpsFilter(filters.BaseHostFilter):
    """Skip hosts at ``[filter_scheduler] max_io_ops_per_host`` or above.

    A host builds each new instance as one more operation, so a busy host
    would only get slower; its reported ``io_ops`` says how busy it is.
    """

    reads = ()
    row_local = True

    def __init__(self, conf):
        super().__init__(conf)
        self.max_io_ops = conf.filter_scheduler.max_io_ops_per_host

    def filter_mask(self, table, alive, spec):
        return table.io_ops < self.max_io_ops

    def rows_pass(self, table, rows, spec):
        return table.io_ops[rows] < self.max_io_ops

    def explain(self, table, row, spec):
        return (f'has {table.io_ops[row]} io_ops, the limit is '
                f'{self.max_io_ops}')
