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

    The framework calls one method, ``filter_mask``. Its default asks
    ``host_passes`` host by host, so a third-party filter needs only that;
    the built-in filters override ``filter_mask`` and answer from the
    table's columns. A filter whose hint or field is absent from the
    request must pass every host. Options a filter needs are read once in
    ``__init__`` (plugins are loaded at start-up, after the configuration
    is parsed): there may be 100k hosts.

    A filter that judges hosts against those every other filter keeps
    sets ``runs_last``: ``plugins.load_filters`` then puts it after the
    others, in its order among such filters, and the funnel shows it
    there. One that declares ``reads`` is asked again only about requests
    that change those fields.
    """

    runs_last = False
    # The ``RequestSpec`` fields ``applies`` and ``filter_mask`` read; None
    # (the default) means any. A request that changes none of them gets
    # the same answers, so the search for relaxations asks the filter
    # again only about changes to them (``fit.Asked``).
    reads = None
    # True when a row's answer depends only on that row (its columns and
    # attributes) and the request's ``reads`` fields (which must be
    # given): the driver then keeps the answers between requests and asks
    # again only about the rows the table changed (``LastAnswers``,
    # ``rows_pass``).
    row_local = False

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

    def filter_mask(self, table, alive, spec):
        """Which rows of ``table`` pass, as a boolean array over the table.

        ``alive`` (a boolean array) marks the rows earlier filters left;
        the answer for the other rows does not matter. The default calls
        ``host_passes`` on the ``HostState`` of each alive row.
        """
        mask = np.zeros(len(table), dtype=bool)
        for i in np.flatnonzero(alive):
            mask[i] = self.host_passes(table.host_state(i), spec)
        return mask

    def rows_pass(self, table, rows, spec):
        """``filter_mask`` at the positions ``rows`` only, for a
        ``row_local`` filter. The default asks ``filter_mask`` about those
        rows; a filter that answers a row from its columns overrides it,
        so a few changed rows cost no pass over the table.
        """
        alive = np.zeros(len(table), dtype=bool)
        alive[rows] = True
        return self.filter_mask(table, alive, spec)[rows]

    def answer_key(self, table, spec):
        """What a ``row_local`` filter's answers depend on besides the
        rows: requests with equal keys get the same answers. The default
        is the values of the ``reads`` fields."""
        return tuple(getattr(spec, field) for field in self.reads)

    def host_passes(self, host_state, spec):
        """True when ``host_state`` can take one instance of ``spec``.

        Only the default ``filter_mask`` calls it: write it, or override
        ``filter_mask``.
        """
        raise NotImplementedError()

    def explain(self, table, row, spec):
        """Why row ``row`` failed, for the DEBUG log, or None.

        The default calls ``host_passes`` again, which logs its own reason.
        """
        self.host_passes(table.host_state(row), spec)
        return None


# How many eliminated hosts a filter explains at DEBUG, per request.
_DEBUG_EXPLAINED = 20


def filter_table(filters, table, spec, last=None):
    """Run ``filters`` in order over a ``HostTable``.

    Returns ``(rows, funnel)``: the positions of the surviving hosts, in
    table order, and one ``{"filter", "hosts_in", "hosts_out"}`` entry per
    filter that ran (``plugins.load_filters`` puts those that ``runs_last``
    after the others). Filtering
    stops at the first filter that leaves no host, whose entry is the
    last one, so a person sees which filter emptied it. ``last`` (a
    ``LastAnswers``) keeps the answers of ``row_local`` filters between
    calls, so only the rows the table changed since are asked again.
    """
    if last is not None and not LOG.isEnabledFor(std_logging.DEBUG):
        found = last.filter(filters, table, spec)
        if found is not None:
            return found
    alive = np.ones(len(table), dtype=bool)
    count = len(table)
    funnel = []
    for host_filter in filters:
        hosts_in = count
        if host_filter.applies(spec):
            passed = alive & host_filter.filter_mask(table, alive, spec)
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


# Kinds of request whose answers one driver keeps (``LastAnswers``).
_KEPT_ANSWERS = 4


class LastAnswers:
    """A driver's last answers of its ``row_local`` filters, patched where
    the table changed.

    NOTE: between two requests alike only the rows the table changed (a
    claim, a heartbeat) can answer differently: each row's first failing
    filter is kept, and only the changed rows are asked again, so the
    funnel and the survivors are those of a full pass (``filter_table``)
    at the cost of a few rows. The answers are kept while the table's
    attributes (``generation``), its change log, the filters and the
    ``reads`` fields of each filter that applies are the same; the rows
    whose ``up`` differs from the last call's are asked again too. A
    request whose applying filters are not all ``row_local`` (a group's,
    a query's, the spread's) takes the full pass.
    """

    def __init__(self):
        # The answers of the last few requests unlike each other, most
        # recent last: a fleet's usual mix (plain requests, GPU ones, ...)
        # takes turns, and each kind keeps its own.
        self._kept = []

    def filter(self, filters, table, spec):
        """``(rows, funnel)`` as ``filter_table`` gives them, or None when
        a filter that applies is not ``row_local``."""
        applying = [f.applies(spec) for f in filters]
        if not all(f.row_local and f.reads is not None
                   for f, a in zip(filters, applying) if a):
            return None
        asked = [f for f, a in zip(filters, applying) if a]
        key = (tuple(filters), tuple(applying),
               [f.answer_key(table, spec) for f in asked])
        last = next((kept for kept in self._kept if kept['key'] == key),
                    None)
        if (last is None
                or last['generation'] != table.generation
                or last['changes'] is not table.changes
                or len(last['failed']) != len(table)):
            last = self._full(table, spec, asked, key)
        else:
            last = self._patch(table, spec, asked, last)
        return self._answer(filters, applying, table, last)

    def _full(self, table, spec, asked, key):
        failed = np.full(len(table), len(asked), dtype=np.intp)
        alive = np.ones(len(table), dtype=bool)
        for index in range(len(asked) - 1, -1, -1):
            failed[~asked[index].filter_mask(table, alive, spec)] = index
        last = {'key': key, 'failed': failed,
                'counts': np.bincount(failed, minlength=len(asked) + 1),
                'rows': None}
        self._kept = [kept for kept in self._kept if kept['key'] != key]
        self._kept = self._kept[-(_KEPT_ANSWERS - 1):] + [last]
        self._remember(table, last)
        return last

    def _patch(self, table, spec, asked, last):
        """``last`` brought up to date (or answered afresh when the table
        no longer knows which rows changed since)."""
        rows = table.changes.since(last['number'])
        if rows is None:
            return self._full(table, spec, asked, last['key'])
        self._kept.remove(last)
        self._kept.append(last)
        if last['up'] is not table.up:
            rows = np.union1d(rows, np.flatnonzero(last['up'] != table.up))
        if len(rows):
            failed = np.full(len(rows), len(asked), dtype=np.intp)
            for index in range(len(asked) - 1, -1, -1):
                failed[~asked[index].rows_pass(table, rows, spec)] = index
            counts = last['counts']
            before = last['failed'][rows]
            counts -= np.bincount(before, minlength=len(counts))
            counts += np.bincount(failed, minlength=len(counts))
            if not np.array_equal(before == len(asked),
                                  failed == len(asked)):
                # A row came in or left: the survivors are found again.
                last['rows'] = None
            last['failed'][rows] = failed
        self._remember(table, last)
        return last

    @staticmethod
    def _remember(table, last):
        last['generation'] = table.generation
        last['changes'] = table.changes
        last['number'] = table.changes.number
        last['up'] = table.up

    @staticmethod
    def _answer(filters, applying, table, last):
        """The funnel, as ``filter_table`` builds it, and the rows."""
        counts = last['counts']
        funnel = []
        count = len(table)
        index = 0
        for host_filter, applies in zip(filters, applying):
            hosts_in = count
            if applies:
                count -= int(counts[index])
                index += 1
            funnel.append({'filter': host_filter.name, 'hosts_in': hosts_in,
                           'hosts_out': count})
            if not count:
                break
        if count == len(table):
            return table.all_rows(), funnel
        # NOTE: kept (read-only, as ``all_rows``) while no row comes in or
        # leaves: requests that leave some hosts out (a GPU class only some
        # hosts have) then cost no pass over every row.
        if last['rows'] is None:
            last['rows'] = np.flatnonzero(last['failed'] == len(counts) - 1)
            last['rows'].flags.writeable = False
        return last['rows'], funnel


def _explain(host_filter, table, eliminated, spec):
    """Log why, for the first few hosts the filter removed."""
    for i in eliminated[:_DEBUG_EXPLAINED]:
        reason = host_filter.explain(table, int(i), spec)
        if reason is not None:
            LOG.debug('%s: host %s %s', host_filter.name, table.names[i],
                      reason)


def filter_hosts(filters, hosts, spec):
    """``filter_table`` over a list of ``HostState``s: survivors, funnel."""
    hosts = list(hosts)
    rows, funnel = filter_table(filters, host_table.as_table(hosts), spec)
    return [hosts[i] for i in rows], funnel
