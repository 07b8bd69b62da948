"""Host filters: each one decides, for one concern, whether a host can fit.

A filter is a ``sora.scheduler.filters`` stevedore plugin; its entry-point
name is the name that appears in the funnel shown to the user.
"""

import logging as std_logging

import numpy as np
from oslo_log import log as logging

from sora_api.scheduler import host_table

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

    def filter_mask(self, table, spec):
        """Which rows of a ``HostTable`` pass, as a boolean array, or None.

        Built-in filters answer for every host at once; None (the default)
        makes the framework call ``host_passes`` on each surviving host, so
        a third-party filter needs only ``host_passes``.
        """
        return None

    def filter_all(self, hosts, spec):
        """Return the hosts that pass, in their original order."""
        if not self.applies(spec):
            return list(hosts)
        return [host for host in hosts if self.host_passes(host, spec)]


# How many eliminated hosts a filter explains at DEBUG, per request.
_DEBUG_EXPLAINED = 20


def filter_table(filters, table, spec):
    """Run ``filters`` in order over a ``HostTable``.

    Returns ``(rows, funnel)``: the positions of the surviving hosts, in
    table order, and one ``{"filter", "hosts_in", "hosts_out"}`` entry per
    filter that ran. Filtering stops at the first filter that leaves no
    host, whose entry is the last one, so a person sees which filter
    emptied it.
    """
    alive = np.ones(len(table), dtype=bool)
    count = len(table)
    funnel = []
    for host_filter in filters:
        hosts_in = count
        if host_filter.applies(spec):
            passed = alive & _passing(host_filter, table, alive, spec)
            if LOG.isEnabledFor(std_logging.DEBUG):
                _explain(host_filter, table,
                         np.flatnonzero(alive & ~passed), spec)
            alive = passed
            count = int(np.count_nonzero(alive))
        funnel.append({'filter': host_filter.name, 'hosts_in': hosts_in,
                       'hosts_out': count})
        LOG.debug('Filter %s returned %d of %d hosts',
                  host_filter.name, count, hosts_in)
        if not count:
            break
    return np.flatnonzero(alive), funnel


def _passing(host_filter, table, alive, spec):
    """The filter's mask; per host (on the live rows) without one."""
    mask = host_filter.filter_mask(table, spec)
    if mask is not None:
        return mask
    mask = np.zeros(len(table), dtype=bool)
    for i in np.flatnonzero(alive):
        mask[i] = host_filter.host_passes(table.host_state(i), spec)
    return mask


def _explain(host_filter, table, eliminated, spec):
    """Let the filter log why, for the first few hosts it removed."""
    for i in eliminated[:_DEBUG_EXPLAINED]:
        host_filter.host_passes(table.host_state(i), spec)


def filter_hosts(filters, hosts, spec):
    """``filter_table`` over a list of ``HostState``s: survivors, funnel."""
    hosts = list(hosts)
    rows, funnel = filter_table(filters, host_table.as_table(hosts), spec)
    return [hosts[i] for i in rows], funnel
