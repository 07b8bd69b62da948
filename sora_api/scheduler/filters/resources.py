"""Keep the hosts with enough free resources of every class asked."""

import numpy as np
from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class _ResourceFilter(filters.BaseHostFilter):
    """Free amount (usable minus used) must cover the requested amount.

    Free already applies the host's allocation ratio and reserved amount,
    the same arithmetic the database uses to decide the claim. A zero
    request passes even an overcommitted host: it takes nothing there.
    """

    amount_fmt = None

    def requested(self, spec):
        raise NotImplementedError()

    def free(self, host_state):
        raise NotImplementedError()

    def applies(self, spec):
        return bool(self.requested(spec))

    resource = None

    def filter_mask(self, table, spec):
        return table.free(self.resource) >= self.requested(spec)

    def host_passes(self, host_state, spec):
        requested = self.requested(spec)
        if not requested:
            return True
        free = self.free(host_state)
        if free >= requested:
            return True
        LOG.debug('%s: host %s has %s free, request asks %s', self.name,
                  host_state.name, self.amount_fmt % free,
                  self.amount_fmt % requested)
        return False


class RamFilter(_ResourceFilter):
    """Enough free RAM (MB) for the instance."""

    amount_fmt = '%s MB RAM'
    resource = 'memory_mb'

    def requested(self, spec):
        return spec.memory_mb

    def free(self, host_state):
        return host_state.free_ram_mb


class CoreFilter(_ResourceFilter):
    """Enough free vCPUs for the instance."""

    amount_fmt = '%s vCPUs'
    resource = 'vcpus'

    def requested(self, spec):
        return spec.vcpus

    def free(self, host_state):
        return host_state.free_vcpus


class DiskFilter(_ResourceFilter):
    """Enough free disk (GB) for the instance."""

    amount_fmt = '%s GB disk'
    resource = 'disk_gb'

    def requested(self, spec):
        return spec.disk_gb

    def free(self, host_state):
        return host_state.free_disk_gb


# The filter of each standard class, when it has a dedicated one.
_DEDICATED = {'VCPU': 'CoreFilter', 'MEMORY_MB': 'RamFilter',
              'DISK_GB': 'DiskFilter'}


class ResourcesFilter(filters.BaseHostFilter):
    """Every class asked fits: free amount covers it, and for a custom
    class the amount is at most the host's ``max_unit``.

    A host without a class has none of it.
    """

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

    def filter_mask(self, table, spec):
        mask = np.ones(len(table), dtype=bool)
        for name, amount in self._checked(spec).items():
            mask &= table.free(name) >= amount
            if name not in _DEDICATED:
                mask &= table.max_unit(name) >= amount
        return mask

    def host_passes(self, host_state, spec):
        for name, amount in self._checked(spec).items():
            free = host_state.free(name)
            if free < amount:
                LOG.debug('%s: host %s has %s %s free, request asks %s',
                          self.name, host_state.name, free, name, amount)
                return False
            if name not in _DEDICATED and host_state.max_unit(name) < amount:
                LOG.debug('%s: host %s gives at most %s %s per instance, '
                          'request asks %s', self.name, host_state.name,
                          host_state.max_unit(name), name, amount)
                return False
        return True
