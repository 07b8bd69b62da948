"""The scheduler manager: builds the request, runs the driver, claims.

The schedules controller calls it; it is the only place that turns a
placement decision into a database claim. While a claim is in flight, its
worker's host table counts it (``HostCache.hold``), so the worker's other
requests place around it. When a claim loses a race to a concurrent
request, the request is placed again on fresh host data (so it lands on
the next-best host), up to ``[scheduler] max_claim_attempts``.
"""

import dataclasses
import datetime
import functools
import hashlib
import json
import random
import threading

import numpy as np
from oslo_log import log as logging

from sora_api import exception
from sora_api import liveness
from sora_api import metrics
from sora_api import timeutils
from sora_api import topology
from sora_api.db import claims as db_claims
from sora_api.db import groups as db_groups
from sora_api.db import holds
from sora_api.db import hosts as db_hosts
from sora_api.db import moves
from sora_api.db import quotas
from sora_api.db import resizes
from sora_api.db import resource_classes
from sora_api.db import schedules as db_schedules
from sora_api.db import usage as db_usage
from sora_api.scheduler import explain
from sora_api.scheduler import host_cache
from sora_api.scheduler import host_table
from sora_api.scheduler import planning
from sora_api.scheduler import plugins
from sora_api.scheduler import request_spec

LOG = logging.getLogger(__name__)
# Seconds a request that found no room waits at most for the worker's
# claims in flight to end before it is placed again (``schedule``).
CLAIM_WAIT = 5.0

# Host columns the scheduler reads, named as in HostState.
_TABLE_COLUMNS = (('id', 'name', 'availability_zone', 'enabled')
                  + host_table.INT_COLUMNS + host_table.RATIO_COLUMNS)
_EPOCH = datetime.datetime(1970, 1, 1)


def _epoch(moment):
    """Seconds since the epoch of a naive UTC datetime."""
    return (moment - _EPOCH).total_seconds()


def _check_group_policy(group, live, fixed, asked):
    """A group with live schedules keeps the policy, topology key and max
    per domain the first of them fixed: another is ``GroupPolicyConflict``.

    Members without a row were read just before their group was dropped
    (``group_snapshot``): the claim, which inserts the row, decides then.
    """
    if live and fixed != asked:
        raise exception.GroupPolicyConflict(
            group=group, fixed=_policy_text(fixed), asked=_policy_text(asked))


def _policy_text(fixed):
    policy, key, limit = fixed or (None, None, None)
    if policy is None:
        return 'none'
    text = f'{policy} on {key}'
    return text if limit is None else f'{text}, at most {limit} per domain'


def request_hash(request):
    """Stable digest of a validated request body, for Idempotency-Key."""
    canonical = json.dumps(request, sort_keys=True, separators=(',', ':'))
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


class SchedulerManager:

    def __init__(self, conf, db, rng=None):
        self.conf = conf
        self.db = db
        self.rng = rng or random.Random()
        self.driver = plugins.load_driver(conf, self.rng)
        self.cache = host_cache.HostCache(
            self._fetch_changes, advance=functools.partial(
                db_hosts.cursor_after, db))
        # NOTE: the worker's one host table is caught up in place and read
        # by the driver. Green threads (sora-api) switch only on I/O, so
        # neither step sees the other half done; real threads (gunicorn
        # gthread, uWSGI threads) do, so the two are taken one request at a
        # time. Filtering holds the GIL anyway; claims run outside. Every
        # placement (schedule, dry run, move, its plan, resize) takes it:
        # the driver also keeps its last weighing between requests.
        self._table_lock = threading.Lock()
        # Notified whenever a claim in flight ends (``_release``).
        self._claim_ended = threading.Condition(self._table_lock)

    def after_fork(self):
        """Give each worker process its own random stream."""
        self.rng.seed()

    def warm_up(self):
        """Load the host table now rather than on the first request.

        A database that does not answer yet is no reason not to start:
        the table then loads on first use.
        """
        try:
            self.cache.table()
        except exception.DatabaseUnavailable:
            LOG.warning('Database unavailable at start; hosts load on the '
                        'first request.')

    def host_table(self, own_read=False):
        """A view of the worker's ``HostTable``, caught up, liveness set now.

        The view is the request's own: what it consumes, and its liveness
        column, never reach the table other requests share. ``own_read``:
        see ``HostCache.table``.
        """
        shared = self.cache.table(own_read)
        table = shared.with_own_usage()
        cutoff = _epoch(liveness.down_cutoff(
            timeutils.utcnow(), self.conf.scheduler.service_down_time))
        table.up = shared.live_at(cutoff)
        return table

    def _live_schedule(self, schedule_id, read=None):
        """The schedule to move or resize: ``read`` (a record the caller
        has just read), else as read now.

        NOTE: on a server database a read sees each statement's own
        snapshot, so one that meets a concurrent delete between the
        schedule row and its allocations reads a schedule without any:
        it is being deleted, and is as good as gone (404).
        """
        schedule = read or db_schedules.get(self.db, schedule_id)
        if not schedule.allocations and schedule.status != 'expired':
            raise exception.ScheduleNotFound(schedule_id=schedule_id)
        return schedule

    def _movable_schedule(self, schedule_id, generations, read=None):
        """The schedule to move or resize (``_live_schedule``): at one of
        the ``generations`` (None: any), else
        ``ScheduleGenerationConflict``; live, else
        ``ScheduleStatusConflict``."""
        schedule = self._live_schedule(schedule_id, read)
        db_schedules.check_generation(schedule_id, schedule.generation,
                                      generations)
        if schedule.status not in moves.MOVABLE:
            raise exception.ScheduleStatusConflict(
                schedule_id=schedule_id, status=schedule.status,
                expected=' or '.join(moves.MOVABLE))
        return schedule

    def _table_for(self, request, own_read=False):
        """``host_table()``, once every custom class the request names (even
        with 0) is known to exist.

        A class some host has exists (it cannot be deleted while a host has
        it); only the others cost a look in the database, where an unknown
        one is ``UnknownResourceClass`` (400).
        """
        table = self.host_table(own_read)
        resource_classes.require(
            self.db, [c for c in request['resources']
                      if c not in db_usage.RESOURCES
                      and c not in table.inventories], 'resources')
        return table

    def _fetch_changes(self, seq):
        """Host changes after ``seq`` as ``HostTable`` rows (HostCache)."""
        changes = db_hosts.changes_since(self.db, seq)
        if changes is None:
            return None
        rows = []
        for row in changes.rows:
            values = {column: row[column] for column in _TABLE_COLUMNS}
            beat = row['last_heartbeat']
            values['heartbeat'] = np.nan if beat is None else _epoch(beat)
            if row['id'] in changes.traits:
                values['traits'] = changes.traits[row['id']]
                values['metadata'] = changes.metadata[row['id']]
                values['taints'] = changes.taints[row['id']]
                values['projects'] = changes.projects[row['id']]
            if row['id'] in changes.inventories:
                values['inventories'] = changes.inventories[row['id']]
            rows.append(values)
        changes.rows = rows
        return changes

    def build_spec(self, project_id, request):
        """The ``RequestSpec`` of a validated request, hints resolved.

        Returns ``(spec, (group_generation, group_members))``: what the
        claim compares-and-swaps when the request names a group. The
        members are a copy, as the driver adds its picks to the spec's.
        A group whose live schedules fixed another policy, topology key or
        max per domain is ``GroupPolicyConflict``.
        """
        hints = request.get('hints', {})
        resources = request['resources']
        _, custom = db_usage.split_resources(resources)
        group = hints.get('group')
        group_generation, group_hosts = None, {}
        policy, key, limit = topology.group_policy(hints)
        if group:
            group_generation, group_hosts, fixed = (
                db_groups.group_snapshot(self.db, project_id, group))
            _check_group_policy(group, bool(group_hosts) and fixed is not None,
                                fixed, (policy, key, limit))
        spec = request_spec.RequestSpec(
            project_id=project_id,
            vcpus=resources.get('vcpus', 0),
            memory_mb=resources.get('memory_mb', 0),
            disk_gb=resources.get('disk_gb', 0),
            num_instances=request.get('num_instances', 1),
            availability_zone=request.get('availability_zone'),
            required_traits=frozenset(request.get('required_traits', ())),
            forbidden_traits=frozenset(request.get('forbidden_traits', ())),
            metadata=dict(request.get('metadata', {})),
            group=group,
            group_policy=policy,
            group_hosts=group_hosts,
            group_topology_key=key or topology.DEFAULT_KEY,
            max_per_domain=limit or 1,
            spread=request_spec.Spread.from_hint(hints.get('spread')),
            same_host=self._hosts_of(project_id, hints.get('same_host')),
            different_host=self._hosts_of(project_id,
                                          hints.get('different_host')),
            query=hints.get('query'),
            ignore_hosts=frozenset(hints.get('ignore_hosts', ())),
            force_hosts=frozenset(hints.get('force_hosts', ())),
            custom_resources=custom,
            tolerations=request.get('tolerations', ()),
            preferences=request.get('preferences', ()))
        return spec, (group_generation, dict(group_hosts))

    def _hosts_of(self, project_id, schedule_ids):
        if schedule_ids is None:
            return None
        return db_schedules.hosts_of(self.db, project_id, schedule_ids)

    def dry_run(self, project_id, request):
        """``(candidates, funnel, nearest, relaxations)``: the ranked
        candidates, the filter funnel, the hosts that came closest and
        the single changes that would let every instance fit (none when
        they fit already); nothing is claimed."""
        holds.expire_due(self.db)
        spec, _ = self.build_spec(project_id, request)
        with self._table_lock:
            table = self._table_for(request)
            candidates, funnel = self.driver.rank(
                spec, table,
                limit=self.conf.filter_scheduler.max_dry_run_candidates)
            closest, relaxations = self.driver.explain(spec, table)
        return (candidates, funnel, closest,
                explain.offerable(request, relaxations))

    def capacity(self, project_id, request):
        """How many more instances of ``request`` fit now (``planning``);
        nothing is claimed."""
        holds.expire_due(self.db)
        spec, _ = self.build_spec(project_id, dict(request, num_instances=1))
        with self._table_lock:
            table, candidates, counts = self.driver.placeable(
                spec, self._table_for(request))
        limits, usage = quotas.limited_usage(self.db, project_id,
                                             quotas.defaults(self.conf))
        return planning.capacity(table, spec, candidates, counts,
                                 planning.quota_remaining(spec, limits,
                                                          usage))

    def schedule(self, project_id, user_id, request, idempotency_key=None):
        """Place and claim every instance, or raise ``NoValidHost``.

        Returns ``(schedule, created)``; ``created`` is False when an earlier
        request with the same Idempotency-Key already made the schedule.
        """
        # NOTE: holds past their time are released before placing, so no
        # request sees their room as taken, even between two timer runs.
        holds.expire_due(self.db)
        idempotency = None
        if idempotency_key is not None:
            idempotency = (idempotency_key, request_hash(request))
            earlier = self._idempotent_result(project_id, idempotency)
            if earlier is not None:
                return earlier, False
        attempts = self.conf.scheduler.max_claim_attempts
        attempt = waits = 0
        while attempt < attempts:
            attempt += 1
            spec, (group_generation, group_members) = self.build_spec(
                project_id, request)
            try:
                with self._table_lock:
                    in_flight = self.cache.holding()
                    chosen = self._placed_or_explained(
                        request, spec,
                        self._table_for(request,
                                        own_read=attempt > 1 or waits > 0))
                    hold = self._hold(chosen, spec)
            except exception.NoValidHost as e:
                # NOTE: the room this worker's claims in flight hold is
                # counted as taken; one may yet lose (a host or quota race)
                # and give it back. Refused only once they have ended: a
                # lost race is never the client's to see. Waiting is no
                # attempt of this request's.
                if in_flight and waits < attempts:
                    waits += 1
                    attempt -= 1
                    self._wait_for_claims(in_flight)
                    continue
                metrics.no_valid_host(e.explanation)
                raise
            committed = None
            try:
                schedule = db_claims.claim(
                    self.db, project_id, user_id, request,
                    [(h.id, h.name) for h in chosen], group=spec.group,
                    group_generation=group_generation,
                    group_members=group_members,
                    group_policy=topology.group_policy(
                        request.get('hints', {})),
                    idempotency=idempotency,
                    quota_limits=quotas.defaults(self.conf))
                committed = schedule.host_change
                metrics.schedule_created()
                if schedule.status == 'held':
                    metrics.hold('created')
                return schedule, True
            except exception.ClaimConflict as e:
                metrics.claim_race(retried=attempt < attempts)
                LOG.info('Claim attempt %d of %d lost a race (%s); placing '
                         'the request again.', attempt, attempts, e)
            except exception.IdempotencyKeyTaken:
                return self._idempotent_result(project_id, idempotency), False
            finally:
                self._release(hold, committed)
        metrics.no_valid_host()
        raise exception.NoValidHost(
            reason='Every claim lost a race with concurrent requests after '
                   '%d attempts.' % attempts)

    def _hold(self, chosen, spec):
        """Count ``spec``'s instances on the ``chosen`` hosts in the
        worker's table until ``_release``: their claim is in flight. Under
        the table lock, with the choice."""
        return self.cache.hold([host.id for host in chosen], spec)

    def _release(self, hold, change=None):
        """The claim of ``hold`` has ended, whichever way (``change``: see
        ``HostCache.release``)."""
        with self._table_lock:
            self.cache.release(hold, change)
            self._claim_ended.notify_all()

    def _wait_for_claims(self, numbers):
        """Until the claims in flight ``numbers`` (holds) have all ended,
        or ``CLAIM_WAIT`` seconds."""
        with self._claim_ended:
            self._claim_ended.wait_for(
                lambda: not numbers & self.cache.holding(), CLAIM_WAIT)

    def _placed_or_explained(self, request, spec, table):
        """``select_destinations``; its ``NoValidHost`` also carries the
        relaxations of the whole request."""
        # The driver adds its picks to the spec's group members, and
        # changes nothing else of it: those are kept for the relaxations.
        members = dict(spec.group_hosts)
        try:
            return self.driver.select_destinations(spec, table)
        except exception.NoValidHost as e:
            whole = dataclasses.replace(spec, group_hosts=members)
            e.relaxations = explain.offerable(
                request, self.driver.relaxations(whole, table))
            raise

    def move(self, schedule_id, indexes, ignore_hosts=(), generations=None,
             read=None):
        """Move the instances ``indexes`` (None: all) of a schedule to other
        hosts chosen under its own request; returns the schedule after.
        ``read``: the schedule as the caller has just read it (after
        expiring due holds), which the first attempt starts from.

        Raises ``NoValidHost`` when they do not all fit elsewhere (nothing
        moves), ``ScheduleStatusConflict`` for an expired hold.
        """
        holds.expire_due(self.db)
        attempts = self.conf.scheduler.max_claim_attempts
        for attempt in range(1, attempts + 1):
            # Read again on each later attempt: a lost race may have been
            # a concurrent move of this very schedule.
            schedule = self._movable_schedule(
                schedule_id, generations, read if attempt == 1 else None)
            moving = [a for a in schedule.allocations
                      if indexes is None or a.instance_index in indexes]
            spec, group_state = self._move_spec(schedule, moving,
                                                     ignore_hosts)
            with self._table_lock:
                chosen = self.driver.select_destinations(
                    spec, self._table_for(schedule.request))
                hold = self._hold(chosen, spec)
            targets = {a.instance_index: (host.id, host.name)
                       for a, host in zip(moving, chosen)}
            try:
                moved = moves.move(self.db, schedule, targets,
                                   group=spec.group,
                                   group_state=group_state)
                metrics.moved(len(targets))
                return moved
            except exception.ClaimConflict as e:
                metrics.claim_race(retried=attempt < attempts)
                LOG.info('Move attempt %d of %d lost a race (%s); placing '
                         'again.', attempt, attempts, e)
            finally:
                self._release(hold)
        raise exception.NoValidHost(
            reason='Every move lost a race with concurrent requests after '
                   '%d attempts.' % attempts)

    def plan_move(self, schedule, indexes):
        """``{index: host name}`` a move of ``indexes`` would pick now;
        nothing is claimed."""
        moving = [a for a in schedule.allocations
                  if a.instance_index in indexes]
        spec, _ = self._move_spec(schedule, moving, ())
        with self._table_lock:
            chosen = self.driver.select_destinations(
                spec, self._table_for(schedule.request))
        return {a.instance_index: host.name
                for a, host in zip(moving, chosen)}

    def resize(self, schedule_id, resources, generations=None, read=None):
        """Give every instance of a schedule ``resources``: in place where
        its host has room for the difference, else on another host chosen
        under the schedule's own request. Returns the schedule after.
        ``read``: as for ``move``.

        The same resources change nothing. Raises ``NoValidHost`` when an
        instance fits nowhere (nothing changes), ``OverQuota``.
        """
        holds.expire_due(self.db)
        # An unknown class is a 400 before anything is tried (the standard
        # classes always exist: no table to catch up for them).
        if set(resources) - set(db_usage.RESOURCES):
            with self._table_lock:
                self._table_for({'resources': resources})
        full = set()
        attempt = 0
        while True:
            schedule = self._movable_schedule(schedule_id, generations, read)
            # Later tries read again.
            read = None
            if (db_usage.split_resources(resources)
                    == db_usage.split_resources(
                        schedule.request['resources'])):
                return schedule
            try:
                return self._resize(schedule, resources, full)
            except resizes.NoRoomInPlace as e:
                # Decided by the database: that host's instances move, on
                # the next try; there are only so many hosts to learn.
                full.add(e.kwargs['host_id'])
            except exception.ClaimConflict as e:
                attempt += 1
                metrics.claim_race(
                    retried=attempt < self.conf.scheduler.max_claim_attempts)
                if attempt >= self.conf.scheduler.max_claim_attempts:
                    raise exception.NoValidHost(
                        reason='Every resize lost a race with concurrent '
                               'requests after %d attempts.' % attempt
                    ) from e

    def _resize(self, schedule, resources, full):
        moving = [a for a in schedule.allocations if a.host_id in full]
        targets, group, group_state = {}, None, None
        if moving:
            resized = dataclasses.replace(
                schedule, request=dict(schedule.request,
                                       resources=resources))
            spec, group_state = self._move_spec(resized, moving, ())
            group = spec.group
            with self._table_lock:
                chosen = self.driver.select_destinations(
                    spec, self._table_for(resized.request))
                hold = self._hold(chosen, spec)
            targets = {a.instance_index: (host.id, host.name)
                       for a, host in zip(moving, chosen)}
        try:
            schedule = resizes.resize(self.db, schedule, resources, targets,
                                      quota_limits=quotas.defaults(self.conf),
                                      group=group, group_state=group_state)
        finally:
            if moving:
                self._release(hold)
        if targets:
            metrics.moved(len(targets))
        return schedule

    def _move_spec(self, schedule, moving, ignore_hosts):
        """The spec of the moving instances under the schedule's request:
        never their current hosts, and the group counted without them."""
        request = dict(schedule.request, num_instances=len(moving))
        hints = dict(request.get('hints', {}))
        hints['ignore_hosts'] = sorted(
            set(hints.get('ignore_hosts', ())) | set(ignore_hosts)
            | {a.host_name for a in moving})
        request['hints'] = hints
        spec, group_state = self.build_spec(schedule.project_id, request)
        for allocation in moving:
            left = spec.group_hosts.get(allocation.host_id, 0) - 1
            if left > 0:
                spec.group_hosts[allocation.host_id] = left
            else:
                spec.group_hosts.pop(allocation.host_id, None)
        return spec, group_state

    def _idempotent_result(self, project_id, idempotency):
        key, digest = idempotency
        stored = db_claims.find_idempotent(self.db, project_id, key)
        if stored is None:
            return None
        stored_hash, schedule_id = stored
        if stored_hash != digest:
            raise exception.IdempotencyMismatch(key=key)
        return db_schedules.get(self.db, schedule_id)
