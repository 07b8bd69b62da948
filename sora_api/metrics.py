"""Prometheus metrics of one ``sora-api`` server, summed over its workers.

``sora-api`` calls ``setup()`` before it forks: prometheus_client then runs
in multi-process mode, every process (parent and workers) writes its values
to files in one per-server directory, and ``GET /metrics`` reads all of
them, so a count is right whichever worker answers the scrape. Without
``setup()`` (unit tests, an app built in-process) values live in this
process only.

The recording functions below are the whole API; they never raise on
their own account and cost a dictionary lookup and a locked add. Which
layer calls which:

- the HTTP metrics middleware: ``request_done``;
- the scheduler manager, where each outcome is decided: ``schedule_created``,
  ``no_valid_host`` (with the refused request's funnel; dry runs are not
  placements and count in neither), ``claim_race``;
- the scheduler driver: ``filter_eliminations`` (for placements that
  succeeded: the no-valid-host funnels are counted with their outcome),
  ``scheduler_time`` or ``scheduler_timer``.
"""

import contextlib
import glob
import os
import shutil
import tempfile
import time

import prometheus_client
from prometheus_client import core
from prometheus_client import multiprocess
from prometheus_client import values
import sqlalchemy as sa

from sora_api import capacity
from sora_api import liveness
from sora_api import timeutils
from sora_api.db import models

ENV = 'PROMETHEUS_MULTIPROC_DIR'
CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
PHASES = ('filter', 'weigh')
UNMATCHED = '(unmatched)'

# Request latencies: a few ms for reads, up to seconds for a large claim.
_HTTP_BUCKETS = (.005, .01, .025, .05, .1, .25, .5, 1.0, 2.5, 5.0, 10.0)
# Filtering and weighing one request: microseconds to a second.
_SCHEDULER_BUCKETS = (.0001, .0005, .001, .0025, .005, .01, .025, .05, .1,
                      .25, .5, 1.0)


class _Series:
    """Every series this process records, on ``registry`` (None: files)."""

    def __init__(self, registry):
        self.registry = registry
        self.requests = prometheus_client.Counter(
            'sora_http_requests', 'HTTP requests answered, by route '
            'template, method and status.', ['method', 'route', 'status'],
            registry=registry)
        self.latency = prometheus_client.Histogram(
            'sora_http_request_duration_seconds', 'Time to answer an HTTP '
            'request, body sent included.', ['method', 'route', 'status'],
            buckets=_HTTP_BUCKETS, registry=registry)
        self.created = prometheus_client.Counter(
            'sora_schedules_created', 'Schedules created (201 answers to '
            'POST /v1/schedules).', registry=registry)
        self.no_valid_host = prometheus_client.Counter(
            'sora_schedules_no_valid_host', 'Schedule requests refused with '
            'sora.no_valid_host.', registry=registry)
        self.races = prometheus_client.Counter(
            'sora_claim_races_lost', 'Claims that lost a race with a '
            'concurrent request; retried="true" when the request was placed '
            'again, "false" when it gave up.', ['retried'],
            registry=registry)
        self.moves = prometheus_client.Counter(
            'sora_instances_moved', 'Instances moved to another host by a '
            'move, a resize or a drain.', registry=registry)
        self.holds = prometheus_client.Counter(
            'sora_holds', 'Holds created, confirmed and expired (released '
            'by whichever worker expired them).', ['event'],
            registry=registry)
        self.eliminations = prometheus_client.Counter(
            'sora_filter_eliminations', 'Hosts removed by each filter.',
            ['filter'], registry=registry)
        self.scheduler_time = prometheus_client.Histogram(
            'sora_scheduler_duration_seconds', 'Time the scheduler spends '
            'filtering or weighing for one request.', ['phase'],
            buckets=_SCHEDULER_BUCKETS, registry=registry)


_state = {'series': None, 'directory': None, 'owned': False}


def _series():
    if _state['series'] is None:
        _state['series'] = _Series(prometheus_client.CollectorRegistry())
    return _state['series']


# -- process set-up (sora-api's main) ----------------------------------------

def setup(directory=None, clear=True):
    """Switch to multi-process mode, writing to ``directory``.

    ``None`` makes a fresh temporary directory that ``cleanup()`` removes.
    A given directory is created if missing and emptied of earlier values,
    so it must belong to this one server. ``clear=False`` keeps them: under
    another WSGI server every worker calls this on the directory they
    share. Call before forking workers. Returns the directory.
    """
    owned = directory is None
    if owned:
        directory = tempfile.mkdtemp(prefix='sora-api-metrics-')
    else:
        os.makedirs(directory, exist_ok=True)
    if clear:
        for stale in glob.glob(os.path.join(directory, '*.db')):
            os.remove(stale)
    os.environ[ENV] = directory
    # NOTE: prometheus_client picks its value class when it is first
    # imported, which may be before this call; pick it again now that the
    # directory is set, then build the series on it.
    values.ValueClass = values.get_value_class()
    _state.update(series=_Series(None), directory=directory, owned=owned)
    return directory


def mark_process_dead(pid):
    """Bookkeeping for a worker that exited; call from the parent."""
    if _state['directory']:
        multiprocess.mark_process_dead(pid, _state['directory'])


def cleanup():
    """Remove the directory ``setup()`` made; the parent calls it at exit."""
    if _state['owned']:
        shutil.rmtree(_state['directory'], ignore_errors=True)
    _state.update(series=None, directory=None, owned=False)


# -- recording: the HTTP layer ----------------------------------------------

def request_done(method, route, status, seconds):
    """One HTTP answer: ``route`` is the route template, never a raw path."""
    labels = (method, route or UNMATCHED, str(status))
    series = _series()
    series.requests.labels(*labels).inc()
    series.latency.labels(*labels).observe(seconds)


def schedule_created():
    """A schedule was placed and claimed (not a dry run)."""
    _series().created.inc()


def no_valid_host(explanation=None):
    """A schedule request found no host; ``explanation`` is its funnel."""
    _series().no_valid_host.inc()
    filter_eliminations(explanation or ())


# -- recording: the scheduler manager ----------------------------------------

def claim_race(retried):
    """A claim lost a race; ``retried`` says whether it is placed again."""
    _series().races.labels('true' if retried else 'false').inc()


def moved(instances):
    """``instances`` instances were moved to other hosts."""
    _series().moves.inc(instances)


def hold(event, count=1):
    """``count`` holds were ``created``, ``confirmed`` or ``expired``."""
    _series().holds.labels(event).inc(count)


def filter_eliminations(funnel):
    """Count the hosts each filter of ``funnel`` removed.

    ``funnel`` is the list the driver builds, ``[{"filter": name,
    "hosts_in": n, "hosts_out": m}, ...]``. Call it for successful
    placements only: no-valid-host funnels are counted by the HTTP layer.
    """
    counter = _series().eliminations
    for step in funnel:
        removed = step.get('hosts_in', 0) - step.get('hosts_out', 0)
        if removed > 0:
            counter.labels(step['filter']).inc(removed)


def scheduler_time(phase, seconds):
    """Time spent in ``phase`` (``"filter"`` or ``"weigh"``) for a request."""
    if phase not in PHASES:
        raise ValueError('phase must be one of %s, not %r' % (PHASES, phase))
    _series().scheduler_time.labels(phase).observe(seconds)


@contextlib.contextmanager
def scheduler_timer(phase):
    """``with metrics.scheduler_timer('filter'): ...`` records its time."""
    started = time.monotonic()
    try:
        yield
    finally:
        scheduler_time(phase, time.monotonic() - started)


# -- reading: GET /metrics -------------------------------------------------

def host_counts(db, service_down_time, now=None):
    """``{(status, enabled): count}`` of every host, in one query.

    ``status`` is ``up``/``down`` as the API reports it, ``enabled``
    ``true``/``false``; every combination is present, zero included.
    """
    cutoff = liveness.down_cutoff(now or timeutils.utcnow(),
                                  service_down_time)
    status = sa.case((liveness.up(models.Host.last_heartbeat, cutoff), 'up'),
                     else_='down')
    query = sa.select(status, models.Host.enabled,
                      sa.func.count()).group_by(status, models.Host.enabled)
    counts = {(s, e): 0 for s in ('up', 'down') for e in ('true', 'false')}
    with db.reader() as session:
        for row_status, enabled, count in session.execute(query):
            key = (row_status, 'true' if enabled else 'false')
            counts[key] += count
    return counts


def resource_totals(db):
    """``{(resource_class, availability_zone): (usable, used)}``.

    ``usable`` is ``capacity.usable`` summed over every host of the zone,
    ``used`` what live allocations hold there. Two grouped queries whatever
    the fleet's size: ``hosts`` for the standard classes, ``inventories``
    for the custom ones.
    """
    host, inventory = models.Host, models.Inventory
    standard = [(name, [getattr(host, column) for column in
                        capacity.STANDARD_COLUMNS[field]])
                for name, field in capacity.STANDARD.items()]
    sums = []
    for _, (total, ratio, reserved, used) in standard:
        sums += [sa.func.sum(capacity.usable(total, ratio, reserved)),
                 sa.func.sum(used)]
    by_zone = sa.select(host.availability_zone, *sums).group_by(
        host.availability_zone)
    by_zone_and_class = sa.select(
        host.availability_zone, inventory.resource_class,
        sa.func.sum(capacity.usable(inventory.total,
                                    inventory.allocation_ratio,
                                    inventory.reserved)),
        sa.func.sum(inventory.used)).join(
        host, host.id == inventory.host_id).group_by(
        host.availability_zone, inventory.resource_class)
    totals = {}
    with db.reader() as session:
        for zone, *values in session.execute(by_zone):
            for i, (name, _) in enumerate(standard):
                totals[(name, zone)] = (values[2 * i], values[2 * i + 1])
        for zone, name, usable, used in session.execute(by_zone_and_class):
            totals[(name, zone)] = (usable, used)
    return totals


class _HostCollector:
    def __init__(self, counts):
        self.counts = counts

    def collect(self):
        family = core.GaugeMetricFamily(
            'sora_hosts', 'Hosts by liveness and enabled flag, counted at '
            'scrape time.', labels=['status', 'enabled'])
        for (status, enabled), count in sorted(self.counts.items()):
            family.add_metric([status, enabled], count)
        yield family


class _ResourceCollector:
    def __init__(self, totals):
        self.totals = totals

    def collect(self):
        labels = ['resource_class', 'availability_zone']
        usable = core.GaugeMetricFamily(
            'sora_resource_capacity', 'Usable capacity (total * '
            'allocation_ratio - reserved) of every host, by resource class '
            'and availability zone, at scrape time.', labels=labels)
        used = core.GaugeMetricFamily(
            'sora_resource_used', 'Amount held by live allocations, by '
            'resource class and availability zone, at scrape time.',
            labels=labels)
        for key, (usable_sum, used_sum) in sorted(self.totals.items()):
            usable.add_metric(list(key), usable_sum)
            used.add_metric(list(key), used_sum)
        yield usable
        yield used


class _GroupCollector:
    def __init__(self, broken):
        self.broken = broken

    def collect(self):
        family = core.GaugeMetricFamily(
            'sora_groups_policy_broken', 'Groups under a hard policy '
            '(affinity, anti-affinity) that no longer hold it: a member\'s '
            'host moved domain, lost the metadata key or went down. At '
            'scrape time; GET /v1/groups/{name} shows the violations.')
        family.add_metric([], self.broken)
        yield family


class _RegistryCollector:
    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def render(counts=None, totals=None, broken_groups=None):
    """The Prometheus text exposition of every series.

    ``counts`` (``host_counts``), ``totals`` (``resource_totals``) and
    ``broken_groups`` (``db.group_status.broken_hard_policies``) add the gauges
    read from the database at scrape time.
    """
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    if _state['directory']:
        multiprocess.MultiProcessCollector(registry,
                                           path=_state['directory'])
    else:
        registry.register(_RegistryCollector(_series().registry))
    if counts is not None:
        registry.register(_HostCollector(counts))
    if totals is not None:
        registry.register(_ResourceCollector(totals))
    if broken_groups is not None:
        registry.register(_GroupCollector(broken_groups))
    return prometheus_client.generate_latest(registry)

