"""Hard server-group policies: all members together, or all apart."""

from oslo_log import log as logging

from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class ServerGroupAffinityFilter(filters.BaseHostFilter):
    """Policy ``affinity``: once the group has a host, members go there.

    The first member of a group may go anywhere; ``group_hosts`` then names
    its host, and the driver updates it between instances of one request.
    """

    def applies(self, spec):
        return spec.group_policy == 'affinity' and bool(spec.group_hosts)

    def filter_mask(self, table, spec):
        return table.counts_of(spec.group_hosts) > 0

    def host_passes(self, host_state, spec):
        if spec.group_policy != 'affinity' or not spec.group_hosts:
            return True
        if host_state.id in spec.group_hosts:
            return True
        LOG.debug('%s: host %s has no member of group %s, which lives on %s',
                  self.name, host_state.name, spec.group,
                  sorted(spec.group_hosts))
        return False


class ServerGroupAntiAffinityFilter(filters.BaseHostFilter):
    """Policy ``anti-affinity``: no two members of the group share a host."""

    def applies(self, spec):
        return spec.group_policy == 'anti-affinity' and bool(spec.group_hosts)

    def filter_mask(self, table, spec):
        return table.counts_of(spec.group_hosts) == 0

    def host_passes(self, host_state, spec):
        if (spec.group_policy != 'anti-affinity'
                or host_state.id not in spec.group_hosts):
            return True
        LOG.debug('%s: host %s already has %s member(s) of group %s',
                  self.name, host_state.name,
                  spec.group_hosts[host_state.id], spec.group)
        return False
