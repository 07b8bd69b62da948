"""Keep the hosts that are not too busy with in-flight work."""

from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class IoOpsFilter(filters.BaseHostFilter):
    """Skip hosts at ``[filter_scheduler] max_io_ops_per_host`` or above.

    A host builds each new instance as one more operation, so a busy host
    would only get slower; its reported ``io_ops`` says how busy it is.
    """

    def __init__(self, conf):
        super().__init__(conf)
        self.max_io_ops = conf.filter_scheduler.max_io_ops_per_host

    def filter_mask(self, table, spec):
        return table.io_ops < self.max_io_ops

    def host_passes(self, host_state, spec):
        if host_state.io_ops < self.max_io_ops:
            return True
        LOG.debug('%s: host %s has %s io_ops, the limit is %s',
                  self.name, host_state.name, host_state.io_ops,
                  self.max_io_ops)
        return False
