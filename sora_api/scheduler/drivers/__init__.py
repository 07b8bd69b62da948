"""Scheduler drivers: turn a request and a snapshot of hosts into hosts.

A driver is a ``sora.scheduler.drivers`` stevedore plugin built with
``(conf, rng)``; the ``random.Random`` it is given is its only source of
randomness, so tests seed it and production passes a fresh one.
"""

from oslo_log import log as logging

from sora_api import exception
from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)


class Scheduler:
    """Base driver: place instances one at a time, each seeing the last.

    Subclasses set ``self.filters`` and implement ``_weigh`` (rank the
    survivors) and ``_choose`` (pick one of the ranked candidates).
    """

    def __init__(self, conf, rng):
        self.conf = conf
        self.rng = rng
        self.filters = []

    def _weigh(self, spec, hosts):
        """Return the candidates as ``WeighedHost``s, best first."""
        raise NotImplementedError()

    def _choose(self, spec, weighed):
        """Return the ``HostState`` to place the next instance on."""
        raise NotImplementedError()

    def rank(self, spec, hosts):
        """Dry run: ``(candidates best first, funnel)`` for one instance.

        Nothing is consumed and neither ``hosts`` nor ``spec`` changes.
        """
        survivors, funnel = filters.filter_hosts(self.filters, hosts, spec)
        return self._weigh(spec, survivors), funnel

    def select_destinations(self, spec, hosts):
        """Return one host per instance of ``spec``, in instance order.

        Each chosen host consumes its instance before the next is placed,
        and is added to ``spec.group_hosts``, so the filters and weighers
        see the earlier instances of the same request (anti-affinity within
        one request works). The input host states are never mutated: a host
        is copied the first time it is chosen, and that copy is returned
        (the same object for every instance placed on it).

        Raises NoValidHost, whose explanation is the funnel of the first
        instance that found no host; nothing is to be claimed then.
        """
        hosts = list(hosts)
        position = None
        copied = set()
        chosen = []
        for index in range(spec.num_instances):
            survivors, funnel = filters.filter_hosts(self.filters, hosts, spec)
            if not survivors:
                raise exception.NoValidHost(
                    explanation=funnel,
                    reason=self._reason(spec, index, funnel))
            host = self._choose(spec, self._weigh(spec, survivors))
            if host.id not in copied:
                if position is None:
                    position = {h.id: i for i, h in enumerate(hosts)}
                host = host.copy()
                hosts[position[host.id]] = host
                copied.add(host.id)
            host.consume(spec)
            spec.group_hosts[host.id] = spec.group_hosts.get(host.id, 0) + 1
            LOG.debug('Instance %d of %d goes to host %s', index + 1,
                      spec.num_instances, host.name)
            chosen.append(host)
        return chosen

    @staticmethod
    def _reason(spec, index, funnel):
        last = funnel[-1]['filter'] if funnel else None
        where = f'filter {last} left no host' if last else 'there is no host'
        return f'Instance {index + 1} of {spec.num_instances}: {where}.'
