"""Host weighers: rank the hosts that passed the filters.

A weigher returns a raw metric for one host; ``weigh_hosts`` normalises each
weigher's metrics to [0, 1] over the candidates (or between the bounds the
weigher declares, ``minval`` and ``maxval``), multiplies them by the
weigher's multiplier and sums them, so no single metric dominates by its
unit. A weigher is a ``sora.scheduler.weighers`` stevedore plugin; its
entry-point name is the key of its contribution in ``WeighedHost.weights``.
"""

import weakref

import numpy as np

from sora_api.scheduler import host_table


class WeighedHost:
    """A candidate with its total weight and each weigher's contribution.

    ``host`` is its ``HostState``; ``host_id`` and ``host_name`` its id and
    name. Of a table's row (``of_row``) the state is built on first use
    only: a dry run answers with the ids and names of up to a hundred
    candidates, and building their states cost it more than ranking them.
    """

    __slots__ = ('host_id', 'host_name', 'weight', 'weights', '_host',
                 '_table', '_row')

    def __init__(self, host, weight, weights):
        self.host_id, self.host_name = host.id, host.name
        self.weight = weight
        self.weights = weights
        self._host = host

    @classmethod
    def of_row(cls, table, row, weight, weights):
        """Row ``row`` of a ``HostTable``, its ``HostState`` built when
        first asked for."""
        weighed = cls.__new__(cls)
        weighed.host_id, weighed.host_name = table.ids[row], table.names[row]
        weighed.weight = weight
        weighed.weights = weights
        weighed._host = None
        weighed._table, weighed._row = table, row
        return weighed

    @property
    def host(self):
        if self._host is None:
            self._host = self._table.host_state(self._row)
        return self._host

    def __repr__(self):
        return 'WeighedHost(%s, weight=%r)' % (self.host_name, self.weight)


class BaseHostWeigher:
    """Base class of every host weigher.

    The framework calls one method, ``weigh_rows``. Its default asks
    ``_weigh_object`` host by host (a larger raw value means a larger
    share of the multiplier), so a third-party weigher needs only that;
    the built-in weighers override ``weigh_rows`` and read the table's
    columns. ``weight_multiplier`` reads its option on each call, as Nova
    does: it runs once per request, not once per host.

    ``minval`` and ``maxval`` bound the normalisation, as Nova's do: None
    (the default) takes the candidates' least or greatest raw value; a
    number is used instead, so a raw value ``v`` counts
    ``(v - minval) / (maxval - minval)`` times the multiplier (equal
    bounds: 0). Values beyond a declared bound are not clipped. A weigher
    whose values are already final (on the scale of a multiplied share)
    declares ``minval = 0.0``, ``maxval = 1.0`` and a multiplier of 1.0:
    its values are added, and shown, as they are.
    """

    minval = None
    maxval = None

    def __init__(self, conf):
        self.conf = conf
        # The loader replaces this with the entry-point name.
        self.name = type(self).__name__

    def weight_multiplier(self):
        """How much this weigher counts; the sign picks the direction."""
        return 1.0

    def applies(self, spec):
        """False when this weigher would give every host the same value
        for ``spec`` (it then adds nothing, at no cost per host)."""
        return True

    def _weigh_object(self, host_state, spec):
        """Return the raw metric of ``host_state`` for ``spec``.

        Only the default ``weigh_rows`` calls it: write it, or override
        ``weigh_rows``.
        """
        raise NotImplementedError()

    def weigh_rows(self, table, rows, spec):
        """Raw metrics of rows ``rows`` of a ``HostTable``, as an array."""
        return np.array([self._weigh_object(table.host_state(i), spec)
                         for i in rows], dtype=np.float64)


def at(values, rows):
    """``values[rows]`` of a column; the column itself when ``rows`` (sorted
    positions, as the filters give them) is every row: no copy."""
    return values if len(rows) == len(values) else values[rows]


def normalize(values, minval=None, maxval=None):
    """Min-max normalise ``values`` to [0, 1]; all equal gives all 0.0.

    ``minval`` or ``maxval``, when given, is used instead of the least or
    greatest value (see ``BaseHostWeigher``); equal bounds give all 0.0.
    """
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return values
    low, high = _bounds(values, (minval, maxval))
    if low == high:
        return np.zeros(len(values))
    normalised = values - low
    normalised /= high - low
    return normalised


def weigh_rows(weighers, table, rows, spec, last=None):
    """Weigh rows ``rows`` of a ``HostTable``.

    Returns ``(weights, contributions)``: the total weight of each row, and
    ``{weigher name: array}`` of each weigher's normalised metric times its
    multiplier. ``last`` (a ``LastWeights``) spares recomputing what did not
    change since the caller's previous weighing; the arrays returned are
    then its own, to read before weighing again.
    """
    # A disabled weigher still shows up, at no cost per host: all of them
    # share one array of zeros, and nothing is added for them.
    zeros = np.zeros(len(rows))
    active = []
    for weigher in weighers:
        multiplier = weigher.weight_multiplier()
        if multiplier and len(rows) and weigher.applies(spec):
            active.append((weigher.name, multiplier,
                           (weigher.minval, weigher.maxval),
                           weigher.weigh_rows(table, rows, spec)))
    if last is None or len(rows) < KEPT_FROM:
        parts, total = _weigh_afresh(active, len(rows))
    else:
        parts, total = last.weigh(table, rows, active)
    shares = dict(zip((name for name, _, _, _ in active), parts))
    return total, {weigher.name: shares.get(weigher.name, zeros)
                   for weigher in weighers}


def _weigh_afresh(active, count):
    """``(shares, total)`` of the ``(name, multiplier, bounds, raw)``
    weighers over ``count`` candidates, computed as ``LastWeights`` does
    on a first weighing (the same arithmetic in the same order), keeping
    nothing."""
    total = np.zeros(count)
    shares = []
    for _, multiplier, bounds, source in active:
        raw = np.asarray(source, dtype=np.float64)
        share = _share(raw, *_bounds(raw, bounds), multiplier)
        total += share
        shares.append(share)
    return shares, total


def _bounds(raw, bounds):
    """``(low, high)`` of a normalisation: the declared ``(minval,
    maxval)``, each None one taken from ``raw``."""
    minval, maxval = bounds
    low = raw.min() if minval is None else np.float64(minval)
    high = raw.max() if maxval is None else np.float64(maxval)
    return low, high


def _share(raw, low, high, multiplier, out=None):
    """One weigher's raw metrics normalised between ``low`` and ``high``,
    times multiplier (into ``out`` if given)."""
    if low == high:
        if out is None:
            return np.zeros(len(raw))
        out.fill(0.0)
        return out
    share = np.subtract(raw, low, out=out)
    share /= high - low
    share *= multiplier
    # ``+ 0.0`` turns the -0.0 of a negative multiplier into 0.0.
    share += 0.0
    return share


class _Metric:
    """One weigher's raw metrics as last weighed, and their bounds.

    ``raw`` is its own copy; ``source`` a weak reference to the array the
    weigher handed back when that is one of the table's columns (it
    changes in place: the table's ``changes`` tell where), else None. A
    strong one kept each weigher's last array alive between requests,
    columns the table had since replaced included.
    ``low`` and ``high`` are kept with how many rows hold each, counted
    only once a row leaves one (None: not counted yet), so a change of a
    few rows finds the new bounds without a pass over all of them unless
    the last row holding one moved away from it, and a first weighing
    costs no more than the bounds themselves. A bound the weigher declares
    (``bounds``: its ``minval`` and ``maxval``) never moves, and is not
    counted.
    """

    __slots__ = ('source', 'raw', 'share', 'bounds', 'low', 'high',
                 'at_low', 'at_high')

    def __init__(self, raw, share, bounds):
        self.raw = raw
        self.share = share
        self.bounds = bounds

    def fill(self, source, owned, multiplier):
        """Weigh ``source`` afresh, into this metric's own arrays."""
        self.remember(source, owned)
        self.raw[...] = source
        self._bounds()
        _share(self.raw, self.low, self.high, multiplier, out=self.share)

    def remember(self, source, owned):
        """``source`` was weighed last; ``owned``: it is a column of the
        table weighed."""
        self.source = weakref.ref(source) if owned else None

    def weighed(self, source):
        """True when ``source`` is the table column weighed last."""
        return self.source is not None and self.source() is source

    def _bounds(self):
        self.low, self.high = _bounds(self.raw, self.bounds)
        self.at_low = self.at_high = None

    def _held(self, count, bound, before, values):
        """How many rows hold ``bound`` now (``count`` before the change),
        or None when still not counted and no row left it."""
        leaving = int(np.count_nonzero(before == bound))
        if count is None:
            if not leaving:
                return None
            return int(np.count_nonzero(self.raw == bound))
        return count - leaving + int(np.count_nonzero(values == bound))

    def patch(self, where, values):
        """Rows ``where`` now hold ``values``; False when a bound moved
        (every share must then be computed again)."""
        if not len(values):
            return True
        before = self.raw[where]
        self.raw[where] = values
        low, high = self.low, self.high
        minval, maxval = self.bounds
        if ((minval is None and values.min() < low)
                or (maxval is None and values.max() > high)):
            self._bounds()
            return self.low == low and self.high == high
        if minval is None:
            self.at_low = self._held(self.at_low, low, before, values)
        if maxval is None:
            self.at_high = self._held(self.at_high, high, before, values)
        if self.at_low == 0 or self.at_high == 0:
            self._bounds()
        return self.low == low and self.high == high


# Fewer candidates than this are weighed afresh (``_weigh_afresh``): a
# kept weighing spares a pass over them, and costs more in bookkeeping
# than such a pass.
KEPT_FROM = 15_000
# Past one row in this many changed, a weigher's shares are computed anew.
_PATCHED_AT_MOST = 8
# Kinds of request whose weighing one driver keeps (``LastWeights``).
_KEPT_WEIGHINGS = 4


class LastWeights:
    """A driver's last weighing, patched where the raw metrics changed.

    NOTE: between two requests only the hosts that changed (a claim, a
    new instance) weigh differently. When the candidates are as many and
    every weigher's minimum and maximum are unchanged, only the changed
    rows' shares are recomputed, by the same arithmetic, so the weights
    are exactly those of a full pass at a fraction of its cost. Which rows
    changed is found by comparing each weigher's metrics with the last
    ones, or, for a table column the weigher hands back as it is (every
    row a candidate), read from the table's ``changes``: no pass at all.
    """

    def __init__(self):
        # The weighings of the last few kinds of request (which weighers
        # apply, with what multipliers and bounds, over how many
        # candidates), most recent last: a fleet's usual mix (plain
        # requests, GPU ones) takes turns.
        # NOTE: each keeps its arrays from one full weighing to the next:
        # on a busy worker a fresh 100k-row array costs more in page
        # faults (each new page touched) than the arithmetic done in it.
        # That is all it keeps: per weigher active in a request its raw
        # values (to find the changed rows) and its share (so a moved
        # bound costs that weigher's share alone, not every one's), and
        # the total: at most 2 x weighers + 1 float64 arrays of the most
        # candidates seen, 10.5 MiB at 100k hosts and six active weighers,
        # per kind kept.
        self._kept = []

    @staticmethod
    def _buffer(buffers, slot, count):
        buffer = buffers.get(slot)
        if buffer is None or len(buffer) < count:
            buffer = buffers[slot] = np.empty(count + count // 16)
        return buffer[:count]

    def weigh(self, table, rows, active):
        """``(shares, total)`` of the ``(name, multiplier, bounds, raw)``
        weighers over ``rows`` of ``table``."""
        key = [(name, multiplier, bounds)
               for name, multiplier, bounds, _ in active]
        last = next((kept for kept in self._kept if kept['key'] == key
                     and kept['count'] == len(rows)), None)
        if last is None:
            return self._full(table, rows, key, active)
        self._kept.remove(last)
        self._kept.append(last)
        logged = None
        if last['changes'] is table.changes and len(rows) == len(table):
            logged = table.changes.since(last['number'])
        metrics = last['metrics']
        changed = []
        bounds_moved = False
        for j, (_, multiplier, _, source) in enumerate(active):
            metric = metrics[j]
            owned = table.owns(source)
            if logged is not None and owned and metric.weighed(source):
                where = logged
                values = np.asarray(source[where], dtype=np.float64)
            else:
                raw = np.asarray(source, dtype=np.float64)
                where = np.flatnonzero(raw != metric.raw)
                values = raw[where]
            if np.isnan(values).any():
                return self._full(table, rows, key, active, last)
            if len(where) > len(rows) // _PATCHED_AT_MOST:
                # Most rows differ (the candidates shifted, a capacity
                # changed everywhere): patching would cost more than this.
                metric.fill(source, owned, multiplier)
                bounds_moved = True
                continue
            metric.remember(source, owned)
            if metric.patch(where, values):
                metric.share[where] = _share(values, metric.low, metric.high,
                                             multiplier)
            else:
                bounds_moved = True
                _share(metric.raw, metric.low, metric.high, multiplier,
                       out=metric.share)
            changed.append(where)
        self._remember(table, last)
        shares = [metric.share for metric in metrics]
        total = last['total']
        if bounds_moved:
            total[:] = 0.0
            for share in shares:
                total += share
            return shares, total
        where = np.unique(np.concatenate(changed)) if changed else changed
        total[where] = 0.0
        for share in shares:
            total[where] += share[where]
        return shares, total

    def _full(self, table, rows, key, active, last=None):
        """Weigh afresh, into the arrays of ``last`` (the kept weighing of
        this kind) if any, else of the kind kept longest once as many
        kinds are kept as may be."""
        if last is not None:
            self._kept.remove(last)
            buffers = last['buffers']
        elif len(self._kept) >= _KEPT_WEIGHINGS:
            buffers = self._kept.pop(0)['buffers']
        else:
            buffers = {}
        count = len(rows)
        metrics = []
        for j, (_, multiplier, bounds, source) in enumerate(active):
            metric = _Metric(self._buffer(buffers, ('raw', j), count),
                             self._buffer(buffers, ('share', j), count),
                             bounds)
            metric.fill(source, table.owns(source), multiplier)
            metrics.append(metric)
        total = self._buffer(buffers, 'total', count)
        total.fill(0.0)
        for metric in metrics:
            total += metric.share
        last = {'key': key, 'count': count, 'metrics': metrics,
                'total': total, 'buffers': buffers}
        # NOTE: NaN compares unequal to itself: such a weighing is never
        # patched, so not kept.
        if not any(np.isnan(m.low) or np.isnan(m.high) for m in metrics):
            self._remember(table, last)
            self._kept.append(last)
        return [metric.share for metric in metrics], total

    @staticmethod
    def _remember(table, last):
        last['changes'] = table.changes
        last['number'] = table.changes.number


def ranking(weights, limit=None):
    """Positions in ``weights``, best first; equal weights keep their order.

    With ``limit``, only the first ``limit`` of them: those are found
    without sorting every candidate.
    """
    if limit is not None and limit < len(weights):
        # NOTE: in a fleet of few host shapes many hosts tie for the best
        # weight; then the first ``limit`` of them are the answer, found
        # without the partition, which costs 100k hosts ~1 ms.
        best = np.flatnonzero(weights == weights.max())
        if len(best) >= limit:
            return best[:limit]
        threshold = np.partition(weights, len(weights) - limit)[-limit]
        if not np.isnan(threshold):
            # Those above the limit-th best, sorted (fewer than limit),
            # then the first of those equal to it, already in order.
            above = np.flatnonzero(weights > threshold)
            above = above[np.argsort(-weights[above], kind='stable')]
            ties = np.flatnonzero(weights == threshold)
            return np.concatenate([above, ties[:limit - len(above)]])
    return np.argsort(-weights, kind='stable')


def weighed_hosts(table, rows, weights, contributions, order):
    """``WeighedHost``s of ``rows`` in ``order``."""
    return [WeighedHost.of_row(table, int(rows[o]), float(weights[o]),
                               {name: float(part[o])
                                for name, part in contributions.items()})
            for o in order]


def weigh_hosts(weighers, hosts, spec):
    """Return ``WeighedHost``s for a list of hosts, best first.

    The sort is stable: equally weighed hosts keep their input order, which
    the driver may then shuffle.
    """
    hosts = list(hosts)
    table = host_table.as_table(hosts)
    rows = np.arange(len(hosts))
    weights, contributions = weigh_rows(weighers, table, rows, spec)
    return [WeighedHost(hosts[o], float(weights[o]),
                        {name: float(part[o])
                         for name, part in contributions.items()})
            for o in ranking(weights)]
