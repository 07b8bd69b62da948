"""Place next to, or away from, the hosts of named schedules."""

import numpy as np
from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class SameHostFilter(filters.BaseHostFilter):
    """Only hosts that carry one of the named schedules.

    ``spec.same_host`` is None when the hint is absent; an empty set means
    the named schedules have no host, so, as in Nova, no host qualifies.
    """

    def applies(self, spec):
        return spec.same_host is not None

    def filter_mask(self, table, spec):
        return _rows_mask(table, table.rows_of(spec.same_host))

    def host_passes(self, host_state, spec):
        if spec.same_host is None or host_state.id in spec.same_host:
            return True
        LOG.debug('%s: host %s carries none of the schedules named in '
                  'same_host', self.name, host_state.name)
        return False


class DifferentHostFilter(filters.BaseHostFilter):
    """Only hosts that carry none of the named schedules."""

    def applies(self, spec):
        return bool(spec.different_host)

    def filter_mask(self, table, spec):
        return ~_rows_mask(table, table.rows_of(spec.different_host))

    def host_passes(self, host_state, spec):
        if not spec.different_host or host_state.id not in spec.different_host:
            return True
        LOG.debug('%s: host %s carries a schedule named in different_host',
                  self.name, host_state.name)
        return False


def _rows_mask(table, rows):
    mask = np.zeros(len(table), dtype=bool)
    mask[rows] = True
    return mask
