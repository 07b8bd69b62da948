"""Keep the hosts whose metadata carries every requested key=value."""

import numpy as np

from sora_api.scheduler import filters


class MetadataFilter(filters.BaseHostFilter):
    """Aggregate-style matching: each requested pair must be on the host."""

    reads = ('metadata',)
    row_local = True

    def applies(self, spec):
        return bool(spec.metadata)

    def filter_mask(self, table, alive, spec):
        mask = np.ones(len(table), dtype=bool)
        for key, value in spec.metadata.items():
            mask &= table.metadata_mask(key, value)
        return mask

    def rows_pass(self, table, rows, spec):
        return self.filter_mask(table, None, spec)[rows]

    def explain(self, table, row, spec):
        metadata = table.metadata[row]
        for key, value in spec.metadata.items():
            found = metadata.get(key)
            if found != value:
                return f'has {key}={found!r}, request asks {value!r}'
        return None
