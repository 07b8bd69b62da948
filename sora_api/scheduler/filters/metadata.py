"""Keep the hosts whose metadata carries every requested key=value."""

import numpy as np
from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class MetadataFilter(filters.BaseHostFilter):
    """Aggregate-style matching: each requested pair must be on the host."""

    def applies(self, spec):
        return bool(spec.metadata)

    def filter_mask(self, table, spec):
        mask = np.ones(len(table), dtype=bool)
        for key, value in spec.metadata.items():
            mask &= table.metadata_mask(key, value)
        return mask

    def host_passes(self, host_state, spec):
        metadata = host_state.metadata
        for key, value in spec.metadata.items():
            if metadata.get(key) != value:
                LOG.debug('%s: host %s has %s=%r, request asks %r',
                          self.name, host_state.name, key,
                          metadata.get(key), value)
                return False
        return True
