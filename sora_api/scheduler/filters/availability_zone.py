"""Keep the hosts of the availability zone the request names."""

from sora_api.scheduler import filters


class AvailabilityZoneFilter(filters.BaseHostFilter):
    """A request that names a zone lands only in that zone."""

    reads = ('availability_zone',)
    row_local = True

    def applies(self, spec):
        return spec.availability_zone is not None

    def filter_mask(self, table, alive, spec):
        return table.zone_mask(spec.availability_zone)

    def rows_pass(self, table, rows, spec):
        return self.filter_mask(table, None, spec)[rows]

    def explain(self, table, row, spec):
        return (f'is in availability zone {table.zones[row]}, request asks '
                f'{spec.availability_zone}')
