"""Host filters: each one decides, for one concern, whether a host can fit.

A filter is a ``sora.scheduler.filters`` stevedore plugin; its entry-point
name is the name that appears in the funnel shown to the user.
"""

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


class BaseHostFilter:
    """Base class of every host filter.

    Subclasses implement ``host_passes``. A filter whose hint or field is
    absent from the request must pass every host. Options a filter needs are
    read once in ``__init__`` (plugins are loaded at start-up, after the
    configuration is parsed) because ``host_passes`` runs once per host, and
    there may be 100k hosts.
    """

    def __init__(self, conf):
        self.conf = conf
        # The loader replaces this with the entry-point name.
        self.name = type(self).__name__

    def applies(self, spec):
        """False when ``spec`` gives this filter nothing to check.

        Most requests use few hints; skipping the absent ones spares a pass
        over every host for each of them.
        """
        return True

    def host_passes(self, host_state, spec):
        """Return True when ``host_state`` can take one instance of spec."""
        raise NotImplementedError()

    def filter_all(self, hosts, spec):
        """Return the hosts that pass, in their original order."""
        if not self.applies(spec):
            return list(hosts)
        return [host for host in hosts if self.host_passes(host, spec)]


def filter_hosts(filters, hosts, spec):
    """Run ``filters`` in order and return ``(survivors, funnel)``.

    The funnel has one ``{"filter", "hosts_in", "hosts_out"}`` entry per
    filter that ran; filtering stops at the first filter that leaves no host,
    whose entry is the last one, so a person sees which filter emptied it.
    """
    funnel = []
    for host_filter in filters:
        hosts_in = len(hosts)
        hosts = host_filter.filter_all(hosts, spec)
        funnel.append({'filter': host_filter.name, 'hosts_in': hosts_in,
                       'hosts_out': len(hosts)})
        LOG.debug('Filter %s returned %d of %d hosts',
                  host_filter.name, len(hosts), hosts_in)
        if not hosts:
            break
    return hosts, funnel
