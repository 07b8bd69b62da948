"""Keep the hosts that are enabled and alive."""

from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class ComputeFilter(filters.BaseHostFilter):
    """An operator-disabled host or one that stopped heartbeating gets
    nothing new; liveness is computed by the caller from the heartbeat.
    """

    def filter_mask(self, table, spec):
        return table.enabled & table.up

    def host_passes(self, host_state, spec):
        if host_state.enabled and host_state.up:
            return True
        LOG.debug('%s: host %s is %s and %s', self.name, host_state.name,
                  'enabled' if host_state.enabled else 'disabled',
                  'up' if host_state.up else 'down')
        return False
