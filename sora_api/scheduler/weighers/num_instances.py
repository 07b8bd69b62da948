"""Weigh hosts by how many instances they carry."""

from sora_api.scheduler import weighers


class NumInstancesWeigher(weighers.BaseHostWeigher):
    """More instances weighs more: a positive multiplier stacks onto busy
    hosts, a negative one spreads to empty ones; the default 0 ignores it.
    """

    def weight_multiplier(self):
        return self.conf.filter_scheduler.num_instances_weight_multiplier

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.instances, rows)
