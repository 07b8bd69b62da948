"""Keep the hosts with enough free RAM, vCPUs and disk for one instance."""

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
