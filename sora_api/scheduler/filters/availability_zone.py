"""Keep the hosts of the availability zone the request names."""

from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class AvailabilityZoneFilter(filters.BaseHostFilter):
    """A request that names a zone lands only in that zone."""

    def applies(self, spec):
        return spec.availability_zone is not None

    def filter_mask(self, table, spec):
        return table.zone_mask(spec.availability_zone)

    def host_passes(self, host_state, spec):
        wanted = spec.availability_zone
        if wanted is None or host_state.availability_zone == wanted:
            return True
        LOG.debug('%s: host %s is in availability zone %s, request asks %s',
                  self.name, host_state.name, host_state.availability_zone,
                  wanted)
        return False
