"""Hard server-group policies: all members in one domain, or apart.

The domain is the group's topology key (``host`` by default, as in Nova;
``availability_zone``; ``metadata.<key>``). Under a hard policy on a
metadata key, hosts without the key are not candidates.
"""

from sora_api import topology
from sora_api.scheduler import domains
from sora_api.scheduler import filters


def _on_metadata(spec):
    return topology.metadata_key(spec.group_topology_key) is not None


class ServerGroupAffinityFilter(filters.BaseHostFilter):
    """Policy ``affinity``: once the group has a member, members go to its
    domain.

    The first member of a group may go to any host with a domain;
    ``group_hosts`` then names its host, and the driver updates it between
    instances of one request.
    """

    reads = ('group_policy', 'group_hosts', 'group_topology_key')

    def applies(self, spec):
        return spec.group_policy == 'affinity' and (
            bool(spec.group_hosts) or _on_metadata(spec))

    def filter_mask(self, table, alive, spec):
        row_codes, per_domain = domains.member_counts(
            table, spec.group_topology_key, spec.group_hosts)
        if not spec.group_hosts:
            return row_codes != domains.NONE
        return ((row_codes != domains.NONE)
                & (domains.per_row(row_codes, per_domain) > 0))

    def explain(self, table, row, spec):
        return (f'is outside the {spec.group_topology_key} of group '
                f'{spec.group}, whose members live on '
                f'{sorted(spec.group_hosts)}')


class ServerGroupAntiAffinityFilter(filters.BaseHostFilter):
    """Policy ``anti-affinity``: at most ``max_per_domain`` members of the
    group (default 1) in one domain."""

    reads = ('group_policy', 'group_hosts', 'group_topology_key',
             'max_per_domain')

    def applies(self, spec):
        return spec.group_policy == 'anti-affinity' and (
            bool(spec.group_hosts) or _on_metadata(spec))

    def filter_mask(self, table, alive, spec):
        row_codes, per_domain = domains.member_counts(
            table, spec.group_topology_key, spec.group_hosts)
        return ((row_codes != domains.NONE)
                & (domains.per_row(row_codes, per_domain)
                   < spec.max_per_domain))

    def explain(self, table, row, spec):
        return (f'is in a {spec.group_topology_key} that already holds '
                f'{spec.max_per_domain} member(s) of group {spec.group}, '
                f'or has none')
