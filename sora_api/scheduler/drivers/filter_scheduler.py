"""Nova's filter scheduler: filter the hosts, weigh the survivors, pick."""

from sora_api.scheduler import drivers
from sora_api.scheduler import plugins
from sora_api.scheduler import weighers


class FilterScheduler(drivers.Scheduler):
    """Runs ``[filter_scheduler] enabled_filters`` then ``weighers``.

    The pick is the best host, unless ``host_subset_size`` N > 1, which
    picks uniformly among the best N: concurrent requests, which all see
    the same weights, then spread over N hosts instead of racing for one
    claim. ``shuffle_best_same_weighed_hosts`` first breaks ties among the
    best equally weighed hosts at random, so they share the load.
    """

    def __init__(self, conf, rng):
        super().__init__(conf, rng)
        self.filters = plugins.load_filters(conf)
        self.weighers = plugins.load_weighers(conf)

    def _weigh(self, spec, hosts):
        return weighers.weigh_hosts(self.weighers, hosts, spec)

    def _choose(self, spec, weighed):
        options = self.conf.filter_scheduler
        if options.shuffle_best_same_weighed_hosts:
            best = weighed[0].weight
            ties = [w for w in weighed if w.weight == best]
            self.rng.shuffle(ties)
            weighed = ties + weighed[len(ties):]
        subset_size = min(options.host_subset_size, len(weighed))
        if subset_size == 1:
            return weighed[0].host
        return self.rng.choice(weighed[:subset_size]).host
