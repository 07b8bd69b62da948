"""Scheduler drivers: turn a request and a snapshot of hosts into hosts.

A driver is a ``sora.scheduler.drivers`` stevedore plugin built with
``(conf, rng)``; the ``random.Random`` it is given is its only source of
randomness, so tests seed it and production passes a fresh one. Drivers
work on a ``HostTable`` (a list of ``HostState`` is converted), so the
built-in filters and weighers run over all hosts at once.
"""

from oslo_log import log as logging

from sora_api import exception
from sora_api import metrics
from sora_api.scheduler import explain
from sora_api.scheduler import filters
from sora_api.scheduler import fit
from sora_api.scheduler import host_table
from sora_api.scheduler import weighers

LOG = logging.getLogger(__name__)


class Scheduler:
    """Base driver: place instances one at a time, each seeing the last.

    Subclasses set ``self.filters`` and ``self.weighers`` and implement
    ``_choose`` (pick one row among the ranked candidates).
    """

    def __init__(self, conf, rng):
        self.conf = conf
        self.rng = rng
        self.filters = []
        self.weighers = []
        self._last_weights = weighers.LastWeights()
        self._last_answers = filters.LastAnswers()

    def _filters(self, spec):
        """The filters that run for ``spec``."""
        return self.filters

    def _weigh(self, spec, table, rows):
        """``(weights, contributions)`` of the candidate rows."""
        return weighers.weigh_rows(self.weighers, table, rows, spec,
                                   self._last_weights)

    def _choose(self, spec, rows, weights):
        """Return the table row to place the next instance on."""
        raise NotImplementedError()

    def rank(self, spec, hosts, limit=None):
        """Dry run: ``(candidates best first, funnel)`` for one instance.

        At most ``limit`` candidates (all when None) are returned as
        ``WeighedHost``; nothing is consumed and neither ``hosts`` nor
        ``spec`` changes.
        """
        table = host_table.as_table(hosts).with_own_usage()
        with metrics.scheduler_timer('filter'):
            rows, funnel = filters.filter_table(self._filters(spec), table,
                                                spec, self._last_answers)
        with metrics.scheduler_timer('weigh'):
            weights, contributions = self._weigh(spec, table, rows)
            order = weighers.ranking(weights, limit)
        return weighers.weighed_hosts(table, rows, weights, contributions,
                                      order), funnel

    def explain(self, spec, hosts):
        """``(nearest, relaxations)`` of ``spec`` on ``hosts`` for a dry
        run (see ``explain``): no relaxations when every instance fits.
        Nothing changes."""
        table = host_table.as_table(hosts).with_own_usage()
        with metrics.scheduler_timer('filter'):
            closest = explain.nearest(self._filters(spec), table, spec)
            relaxer = self._relaxer(spec, table)
            if relaxer.fits(spec)[1]:
                return closest, []
            return closest, relaxer.relaxations()

    def relaxations(self, spec, hosts):
        """The single changes with which every instance of ``spec`` would
        be placed on ``hosts`` (``explain.Relaxer``)."""
        table = host_table.as_table(hosts).with_own_usage()
        with metrics.scheduler_timer('filter'):
            return self._relaxer(spec, table).relaxations()

    def _relaxer(self, spec, table):
        return explain.Relaxer(self._filters(spec), table, spec,
                               lambda relaxed: self.first_pick(relaxed, table))

    def first_pick(self, spec, table):
        """The row the best-ranked candidate of ``spec`` is on."""
        best = self.rank(spec, table, limit=1)[0]
        return table.position[best[0].host_id]

    def placeable(self, spec, hosts):
        """``(table, candidates, per-row counts)``: how many instances of
        ``spec`` the driver would place on each host, one request after
        another, under its filters and the group's hard policy (``fit``).
        """
        table = host_table.as_table(hosts).with_own_usage()
        candidates, counts = fit.placeable(
            self._filters(spec), table, spec,
            lambda relaxed: self.first_pick(relaxed, table),
            one_request=False)
        return table, candidates, counts

    def select_destinations(self, spec, hosts):
        """Return one ``HostState`` per instance of ``spec``, in order.

        Each chosen host consumes its instance before the next is placed,
        and is added to ``spec.group_hosts``, so the filters and weighers
        see the earlier instances of the same request (anti-affinity within
        one request works). The input hosts are never changed. The same
        ``HostState`` object is returned for every instance placed on one
        host, showing what all of them consume.

        Raises NoValidHost, whose explanation is the funnel of the first
        instance that found no host; nothing is to be claimed then.
        """
        table = host_table.as_table(hosts).with_own_usage()
        chosen = []
        for index in range(spec.num_instances):
            with metrics.scheduler_timer('filter'):
                rows, funnel = filters.filter_table(
                    self._filters(spec), table, spec, self._last_answers)
            if not len(rows):
                with metrics.scheduler_timer('filter'):
                    closest = explain.nearest(self._filters(spec), table,
                                              spec)
                raise exception.NoValidHost(
                    explanation=funnel, nearest=closest,
                    reason=self._reason(spec, index, funnel))
            with metrics.scheduler_timer('weigh'):
                weights, _ = self._weigh(spec, table, rows)
                row = int(self._choose(spec, rows, weights))
            # A refused request's funnel is counted with its outcome, by
            # the manager (metrics.no_valid_host).
            metrics.filter_eliminations(funnel)
            if index + 1 < spec.num_instances:
                table.consume(row, spec)
            host_id = table.ids[row]
            spec.group_hosts[host_id] = spec.group_hosts.get(host_id, 0) + 1
            LOG.debug('Instance %d of %d goes to host %s', index + 1,
                      spec.num_instances, table.names[row])
            chosen.append(row)
        states = {row: table.host_state(row) for row in set(chosen)}
        # NOTE: no instance follows the last one, so it is consumed on its
        # HostState alone: a single-instance request copies no column.
        states[chosen[-1]].consume(spec)
        return [states[row] for row in chosen]

    @staticmethod
    def _reason(spec, index, funnel):
        last = funnel[-1]['filter'] if funnel else None
        where = f'filter {last} left no host' if last else 'there is no host'
        return f'Instance {index + 1} of {spec.num_instances}: {where}.'
