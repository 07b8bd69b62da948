"""Nova's filter scheduler: filter the hosts, weigh the survivors, pick."""

import numpy as np

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

    def _choose(self, spec, rows, weights):
        options = self.conf.filter_scheduler
        shuffle = options.shuffle_best_same_weighed_hosts
        subset_size = min(options.host_subset_size, len(rows))
        if subset_size == 1 and not shuffle:
            # The first of the best, as a stable sort would put it.
            return rows[int(np.argmax(weights))]
        if not shuffle:
            return rows[self.rng.choice(
                list(weighers.ranking(weights, subset_size)))]
        order = list(weighers.ranking(weights))
        best = weights[order[0]]
        ties = [o for o in order if weights[o] == best]
        self.rng.shuffle(ties)
        order = ties + order[len(ties):]
        if subset_size == 1:
            return rows[order[0]]
        return rows[self.rng.choice(order[:subset_size])]
