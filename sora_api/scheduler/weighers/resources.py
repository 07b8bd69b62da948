"""Weigh hosts by their free RAM, vCPUs and disk."""

from sora_api.scheduler import weighers


class RAMWeigher(weighers.BaseHostWeigher):
    """More free RAM weighs more: a positive multiplier spreads instances
    across hosts, a negative one stacks them onto the fullest hosts.
    """

    def weight_multiplier(self):
        return self.conf.filter_scheduler.ram_weight_multiplier

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.free('memory_mb'), rows)


class CPUWeigher(weighers.BaseHostWeigher):
    """More free vCPUs weighs more: positive spreads, negative stacks."""

    def weight_multiplier(self):
        return self.conf.filter_scheduler.cpu_weight_multiplier

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.free('vcpus'), rows)


class DiskWeigher(weighers.BaseHostWeigher):
    """More free disk weighs more: positive spreads, negative stacks."""

    def weight_multiplier(self):
        return self.conf.filter_scheduler.disk_weight_multiplier

    def weigh_rows(self, table, rows, spec):
        return weighers.at(table.free('disk_gb', scale=1024), rows)
