"""Place next to, or away from, the hosts of named schedules."""

import numpy as np

from sora_api.scheduler import filters


class SameHostFilter(filters.BaseHostFilter):
    """Only hosts that carry one of the named schedules.

    ``spec.same_host`` is None when the hint is absent; an empty set means
    the named schedules have no host, so, as in Nova, no host qualifies.
    """

    reads = ('same_host',)

    def applies(self, spec):
        return spec.same_host is not None

    def filter_mask(self, table, alive, spec):
        return _rows_mask(table, table.rows_of(spec.same_host))

    def explain(self, table, row, spec):
        return 'carries none of the schedules named in same_host'


class DifferentHostFilter(filters.BaseHostFilter):
    """Only hosts that carry none of the named schedules."""

    reads = ('different_host',)

    def applies(self, spec):
        return bool(spec.different_host)

    def filter_mask(self, table, alive, spec):
        return ~_rows_mask(table, table.rows_of(spec.different_host))

    def explain(self, table, row, spec):
        return 'carries a schedule named in different_host'


def _rows_mask(table, rows):
    mask = np.zeros(len(table), dtype=bool)
    mask[rows] = True
    return mask
