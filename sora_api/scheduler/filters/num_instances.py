"""Keep the hosts below the per-host instance limit."""

from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class NumInstancesFilter(filters.BaseHostFilter):
    """A host carries at most ``[filter_scheduler] max_instances_per_host``."""

    def __init__(self, conf):
        super().__init__(conf)
        self.max_instances = conf.filter_scheduler.max_instances_per_host

    def filter_mask(self, table, spec):
        return table.instances < self.max_instances

    def host_passes(self, host_state, spec):
        if host_state.instances < self.max_instances:
            return True
        LOG.debug('%s: host %s has %s instances, the limit is %s',
                  self.name, host_state.name, host_state.instances,
                  self.max_instances)
        return False
