"""Leave out, or insist on, hosts by name."""

import numpy as np
from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class IgnoreHostsFilter(filters.BaseHostFilter):
    """Hosts named in ``ignore_hosts`` are never picked."""

    def applies(self, spec):
        return bool(spec.ignore_hosts)

    def filter_mask(self, table, spec):
        mask = np.ones(len(table), dtype=bool)
        mask[table.rows_named(spec.ignore_hosts)] = False
        return mask

    def host_passes(self, host_state, spec):
        if host_state.name not in spec.ignore_hosts:
            return True
        LOG.debug('%s: host %s is in ignore_hosts', self.name,
                  host_state.name)
        return False


class ForceHostsFilter(filters.BaseHostFilter):
    """When ``force_hosts`` is given, only the hosts it names are picked.

    Unlike Nova, forcing does not bypass the other filters: a forced host
    must still have room, so the claim cannot overcommit it.
    """

    def applies(self, spec):
        return bool(spec.force_hosts)

    def filter_mask(self, table, spec):
        mask = np.zeros(len(table), dtype=bool)
        mask[table.rows_named(spec.force_hosts)] = True
        return mask

    def host_passes(self, host_state, spec):
        if not spec.force_hosts or host_state.name in spec.force_hosts:
            return True
        LOG.debug('%s: host %s is not in force_hosts', self.name,
                  host_state.name)
        return False
