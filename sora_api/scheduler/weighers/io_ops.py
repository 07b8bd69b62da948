"""Weigh hosts by their in-flight work."""

from sora_api.scheduler import weighers


class IoOpsWeigher(weighers.BaseHostWeigher):
    """More io_ops weighs more: the default negative multiplier prefers idle
    hosts (spreading the work), a positive one prefers busy hosts.
    """

    def weight_multiplier(self):
        return self.conf.filter_scheduler.io_ops_weight_multiplier

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.io_ops, rows)
