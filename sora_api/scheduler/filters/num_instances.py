"""Keep the hosts below the per-host instance limit."""

from sora_api.scheduler import filters


class NumInstancesFilter(filters.BaseHostFilter):
    """A host carries at most ``[filter_scheduler] max_instances_per_host``."""

    reads = ()
    row_local = True

    def __init__(self, conf):
        super().__init__(conf)
        self.max_instances = conf.filter_scheduler.max_instances_per_host

    def filter_mask(self, table, alive, spec):
        return table.instances < self.max_instances

    def rows_pass(self, table, rows, spec):
        return table.instances[rows] < self.max_instances

    def explain(self, table, row, spec):
        return (f'has {table.instances[row]} instances, the limit is '
                f'{self.max_instances}')
