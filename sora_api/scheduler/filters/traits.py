"""Keep the hosts that have every required trait and no forbidden one."""

import numpy as np
from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class TraitsFilter(filters.BaseHostFilter):
    """Traits are qualitative capabilities (``CUSTOM_SSD``), matched as is."""

    def applies(self, spec):
        return bool(spec.required_traits or spec.forbidden_traits)

    def filter_mask(self, table, spec):
        mask = np.ones(len(table), dtype=bool)
        for trait in spec.required_traits:
            mask &= table.trait_mask(trait)
        for trait in spec.forbidden_traits:
            mask &= ~table.trait_mask(trait)
        return mask

    def host_passes(self, host_state, spec):
        missing = spec.required_traits - host_state.traits
        present = spec.forbidden_traits & host_state.traits
        if not missing and not present:
            return True
        LOG.debug('%s: host %s lacks required traits %s and has forbidden '
                  'traits %s', self.name, host_state.name,
                  sorted(missing), sorted(present))
        return False
