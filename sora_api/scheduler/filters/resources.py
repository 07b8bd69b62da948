"""Keep the hosts with enough free resources of every class asked."""

import numpy as np

from sora_api.scheduler import filters


class _ResourceFilter(filters.BaseHostFilter):
    """Free amount (usable minus used) must cover the requested amount.

    Free already applies the host's allocation ratio and reserved amount,
    the same arithmetic the database uses to decide the claim. A zero
    request passes even an overcommitted host: it takes nothing there.
    """

    amount_fmt = None
    resource = None
    row_local = True

    @property
    def reads(self):
        return (self.resource,)

    def requested(self, spec):
        return getattr(spec, self.resource)

    def applies(self, spec):
        return bool(self.requested(spec))

    def filter_mask(self, table, alive, spec):
        return table.free(self.resource) >= self.requested(spec)

    def rows_pass(self, table, rows, spec):
        return table.free(self.resource)[rows] >= self.requested(spec)

    def explain(self, table, row, spec):
        return 'has %s free, request asks %s' % (
            self.amount_fmt % table.free(self.resource)[row],
            self.amount_fmt % self.requested(spec))


class RamFilter(_ResourceFilter):
    """Enough free RAM (MB) for the instance."""

    amount_fmt = '%s MB RAM'
    resource = 'memory_mb'


class CoreFilter(_ResourceFilter):
    """Enough free vCPUs for the instance."""

    amount_fmt = '%s vCPUs'
    resource = 'vcpus'


class DiskFilter(_ResourceFilter):
    """Enough free disk (GB) for the instance."""

    amount_fmt = '%s GB disk'
    resource = 'disk_gb'


# The filter of each standard class, when it has a dedicated one.
_DEDICATED = {'VCPU': 'CoreFilter', 'MEMORY_MB': 'RamFilter',
              'DISK_GB': 'DiskFilter'}


class ResourcesFilter(filters.BaseHostFilter):
    """Every class asked fits: free amount covers it, and for a custom
    class the amount is at most the host's ``max_unit``.

    A host without a class has none of it.
    """

    reads = ('vcpus', 'memory_mb', 'disk_gb', 'custom_resources')
    row_local = True

    def __init__(self, conf):
        super().__init__(conf)
        # NOTE: a standard class whose own filter (RamFilter, ...) runs
        # too is left to it: checking it twice would cost a pass over
        # every host per request and change nothing.
        enabled = set(conf.filter_scheduler.enabled_filters)
        self.standard = {name for name, dedicated in _DEDICATED.items()
                         if dedicated not in enabled}

    def _checked(self, spec):
        return {name: amount for name, amount in spec.resources.items()
                if name in self.standard or name not in _DEDICATED}

    def applies(self, spec):
        return bool(spec.custom_resources) or bool(self._checked(spec))

    def filter_mask(self, table, alive, spec):
        return self.rows_pass(table, table.all_rows(), spec)

    def rows_pass(self, table, rows, spec):
        mask = np.ones(len(rows), dtype=bool)
        for name, amount in self._checked(spec).items():
            mask &= table.free(name)[rows] >= amount
            if name not in _DEDICATED:
                mask &= table.max_unit(name)[rows] >= amount
        return mask

    def explain(self, table, row, spec):
        for name, amount in self._checked(spec).items():
            free = table.free(name)[row]
            if free < amount:
                return f'has {free} {name} free, request asks {amount}'
            if name not in _DEDICATED and table.max_unit(name)[row] < amount:
                return (f'gives at most {table.max_unit(name)[row]} {name} '
                        f'per instance, request asks {amount}')
        return None
