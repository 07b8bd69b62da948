"""Leave out, or insist on, hosts by name."""

import numpy as np

from sora_api.scheduler import filters


class IgnoreHostsFilter(filters.BaseHostFilter):
    """Hosts named in ``ignore_hosts`` are never picked."""

    reads = ('ignore_hosts',)

    def applies(self, spec):
        return bool(spec.ignore_hosts)

    def filter_mask(self, table, alive, spec):
        mask = np.ones(len(table), dtype=bool)
        mask[table.rows_named(spec.ignore_hosts)] = False
        return mask

    def explain(self, table, row, spec):
        return 'is in ignore_hosts'


class ForceHostsFilter(filters.BaseHostFilter):
    """When ``force_hosts`` is given, only the hosts it names are picked.

    Unlike Nova, forcing does not bypass the other filters: a forced host
    must still have room, so the claim cannot overcommit it.
    """

    reads = ('force_hosts',)

    def applies(self, spec):
        return bool(spec.force_hosts)

    def filter_mask(self, table, alive, spec):
        mask = np.zeros(len(table), dtype=bool)
        mask[table.rows_named(spec.force_hosts)] = True
        return mask

    def explain(self, table, row, spec):
        return 'is not in force_hosts'
