"""Hard server-group policies: all members together, or all apart."""

from sora_api.scheduler import filters


class ServerGroupAffinityFilter(filters.BaseHostFilter):
    """Policy ``affinity``: once the group has a host, members go there.

    The first member of a group may go anywhere; ``group_hosts`` then names
    its host, and the driver updates it between instances of one request.
    """

    def applies(self, spec):
        return spec.group_policy == 'affinity' and bool(spec.group_hosts)

    def filter_mask(self, table, alive, spec):
        return table.counts_of(spec.group_hosts) > 0

    def explain(self, table, row, spec):
        return (f'has no member of group {spec.group}, which lives on '
                f'{sorted(spec.group_hosts)}')


class ServerGroupAntiAffinityFilter(filters.BaseHostFilter):
    """Policy ``anti-affinity``: no two members of the group share a host."""

    def applies(self, spec):
        return spec.group_policy == 'anti-affinity' and bool(spec.group_hosts)

    def filter_mask(self, table, alive, spec):
        return table.counts_of(spec.group_hosts) == 0

    def explain(self, table, row, spec):
        return (f'already has {spec.group_hosts[table.ids[row]]} member(s) '
                f'of group {spec.group}')
