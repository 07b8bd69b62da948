"""Keep the hosts that have every required trait and no forbidden one."""

import numpy as np

from sora_api.scheduler import filters


class TraitsFilter(filters.BaseHostFilter):
    """Traits are qualitative capabilities (``CUSTOM_SSD``), matched as is."""

    reads = ('required_traits', 'forbidden_traits')
    row_local = True

    def applies(self, spec):
        return bool(spec.required_traits or spec.forbidden_traits)

    def filter_mask(self, table, alive, spec):
        mask = np.ones(len(table), dtype=bool)
        for trait in spec.required_traits:
            mask &= table.trait_mask(trait)
        for trait in spec.forbidden_traits:
            mask &= ~table.trait_mask(trait)
        return mask

    def rows_pass(self, table, rows, spec):
        return self.filter_mask(table, None, spec)[rows]

    def explain(self, table, row, spec):
        traits = table.traits[row]
        missing = sorted(spec.required_traits - traits)
        present = sorted(spec.forbidden_traits & traits)
        return (f'lacks required traits {missing} and has forbidden traits '
                f'{present}')
