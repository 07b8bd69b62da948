"""``hints.spread`` with ``when_unsatisfiable: do_not_schedule``."""

from sora_api.scheduler import filters
from sora_api.scheduler import topology_spread


class TopologySpreadFilter(filters.BaseHostFilter):
    """Only hosts whose domain would then hold at most ``max_skew`` members
    more than the least loaded domain (Kubernetes' topology spread).

    Its domains are those of the hosts every other filter keeps, so it
    runs after them (``runs_last``) wherever it stands in
    ``enabled_filters``. Hosts without the key's metadata are not
    candidates.
    """

    runs_last = True
    reads = ('spread', 'group_hosts')

    def applies(self, spec):
        return (spec.spread is not None
                and spec.spread.when_unsatisfiable == 'do_not_schedule')

    def filter_mask(self, table, alive, spec):
        skew, has_domain = topology_spread.skew_after(table, spec, alive)
        return has_domain & (skew <= spec.spread.max_skew)

    def explain(self, table, row, spec):
        return (f'is in a {spec.spread.key} that would be more than '
                f'{spec.spread.max_skew} above the least loaded one, or has '
                f'no {spec.spread.key}')
