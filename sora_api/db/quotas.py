"""Per-project limits and usage; the quota check inside a claim.

What a project holds is the sum of its allocations (``holdings``); reading
it needs no row of its own. A resource some limit applies to (the
project's own, else the ``[quota]`` default) is *tracked*: a row of
``project_usages`` keeps that sum, changed in the transactions that claim
or release allocations. A claim adds to its tracked rows with one
conditional ``UPDATE`` that matches only rows still within their limit:
like a host claim, the database decides, so racing requests, workers and
servers never take a project past a limit. A resource without a limit has
no row, so the claims of a project without limits share no row at all.

Tracking starts or stops only under ``_exclude_claims``, which waits for
every claim and release already past its look at the rows and holds back
the next ones until the rows are counted from the allocations: a row
never misses a claim that found it absent, nor counts one twice.
"""

import collections
import functools
import re

import sqlalchemy as sa

from sora_api import capacity
from sora_api import exception
from sora_api.db import compiled
from sora_api.db import engine
from sora_api.db import models
from sora_api.db import together

Q = models.Quota.__table__
U = models.ProjectUsage.__table__
A = models.Allocation.__table__
CA = models.CustomAllocation.__table__
S = models.Schedule.__table__
UNLIMITED = -1
# Resources whose default limit comes from ``[quota]``, by option name.
DEFAULT_OPTIONS = {'instances': 'instances', 'VCPU': 'vcpus',
                   'MEMORY_MB': 'memory_mb', 'DISK_GB': 'disk_gb'}
STANDARD_USAGE = ('instances', 'VCPU', 'MEMORY_MB', 'DISK_GB')
_SAFE_NAME = re.compile('^[A-Za-z0-9_]+$')


def defaults(conf):
    """The ``[quota]`` defaults as ``{resource: limit}``."""
    return {resource: getattr(conf.quota, option)
            for resource, option in DEFAULT_OPTIONS.items()}


def _name(resource):
    """A resource name as an SQL literal.

    NOTE: names are inlined rather than bound: each combination of
    resources is its own cached statement anyway, and bound names (and an
    expanding IN list) cost more per claim than the UPDATE itself. They
    match ``[A-Za-z0-9_]+`` (checked here), so there is nothing to quote.
    """
    if not _SAFE_NAME.match(resource):
        raise ValueError('not a resource name: %r' % resource)
    return sa.literal_column("'%s'" % resource)


def _per_resource(resources, prefix, **kwargs):
    """SQL: the bound parameter ``<prefix>_<i>`` of the row's resource."""
    return sa.case(*[
        (U.c.resource == _name(r),
         sa.bindparam('%s_%d' % (prefix, i), type_=sa.BigInteger))
        for i, r in enumerate(resources)], **kwargs)


@functools.lru_cache(maxsize=256)
def _consume_statement(resources):
    """The conditional UPDATE adding to the rows of ``resources`` (sorted).

    Built once per combination of resources, with bound amounts, so
    SQLAlchemy compiles each only once. A row matches only while it stays
    within its limit: the project's own, else the default, -1 unlimited.
    """
    asked = _per_resource(resources, 'asked')
    own = sa.select(Q.c.hard_limit).where(
        Q.c.project_id == U.c.project_id,
        Q.c.resource == U.c.resource).scalar_subquery()
    limit = sa.func.coalesce(own, _per_resource(resources, 'default',
                                                else_=UNLIMITED))
    return sa.update(U).where(
        U.c.project_id == sa.bindparam('project'),
        U.c.resource.in_([_name(r) for r in resources]),
        sa.or_(limit < 0, U.c.used + asked <= limit),
    ).values(used=U.c.used + asked)


def _params(project_id, resources, amounts, limits):
    params = {'project': project_id}
    for i, resource in enumerate(resources):
        params['asked_%d' % i] = amounts[resource]
        params['default_%d' % i] = limits.get(resource, UNLIMITED)
    return params


class Exceeded(Exception):
    """A claim would pass a limit; ``explain`` finds which, after the
    claim's transaction has rolled back."""


class Untracked(Exception):
    """A claim asks for a resource a limit applies to but that has no row
    yet (a ``[quota]`` default the project never claimed under): the
    caller rolls back, starts the row and claims again
    (``tracked_first``)."""


_TRACKED = sa.select(U.c.resource).where(
    U.c.project_id == sa.bindparam('project')).with_for_update()
_COUNTER = models.HostChanges.__table__
_GATE = sa.select(_COUNTER.c.seq).where(_COUNTER.c.id == 1).with_for_update()


def _pass_gate(conn):
    """On MySQL, lock the host-change counter row before the usage rows.

    A claim there takes that row anyway, last, to number its change
    (``counter_changes``); taking it here, before looking at the usage
    rows, is what ``_exclude_claims`` waits for. Row and gap locks on the
    usage rows could do the same, but a limit's insert then deadlocks with
    the claims scanning the project's rows, and loses, most of the time.
    """
    if conn.dialect.name == 'mysql':
        conn.execute(_GATE)


# Why a claim sent in one message (``consume_parts``) was ``Refused``.
OVER_QUOTA = 'over quota'
UNTRACKED = 'usage not tracked'


def consume_parts(project_id, amounts, default_limits):
    """``consume`` as ``together`` parts of a claim sent in one message
    (PostgreSQL): the transaction is ``Refused`` with ``OVER_QUOTA`` for
    ``Exceeded``, ``UNTRACKED`` for ``Untracked``.

    The ``UPDATE`` of the rows takes its lock on the table even when the
    project has no row, so ``_exclude_claims`` waits for it as for the look
    of ``consume``; it must change every row the project has of what it
    asks. The rows it does not find are then read under that lock.
    """
    resources = tuple(sorted(r for r, n in amounts.items() if n))
    if not resources:
        return []
    parts = [together.required(
        _consume_statement(resources),
        _params(project_id, resources, amounts, default_limits), 'q_',
        OVER_QUOTA, _tracked_count_sql(resources))]
    defaulted = tuple(r for r in resources
                      if default_limits.get(r, UNLIMITED) >= 0)
    if defaulted:
        parts.append(together.check(_tracked_sql(defaulted),
                                    {'project': project_id}, 'u_', UNTRACKED))
    return parts


def _in_list(resources):
    """SQL: the names of ``resources`` as a list of literals (``_name``)."""
    return ', '.join(str(_name(r)) for r in resources)


@functools.lru_cache(maxsize=256)
def _tracked_count_sql(resources):
    """SQL: how many of ``resources`` the project has rows of."""
    return ('(SELECT count(*) FROM project_usages WHERE project_id = '
            '%%(project)s AND resource IN (%s))' % _in_list(resources))


@functools.lru_cache(maxsize=256)
def _tracked_sql(resources):
    """SQL: each of ``resources`` (a default limits them) has its row,
    unless the project's own limit lifts the default (-1: no row)."""
    values = ', '.join('(%s)' % _name(r) for r in resources)
    return (
        'NOT EXISTS (SELECT 1 FROM (VALUES %s) AS asked (resource) '
        'WHERE NOT EXISTS (SELECT 1 FROM project_usages u WHERE '
        'u.project_id = %%(project)s AND u.resource = asked.resource) '
        'AND NOT EXISTS (SELECT 1 FROM quotas q WHERE q.project_id = '
        '%%(project)s AND q.resource = asked.resource AND '
        'q.hard_limit < 0))' % values)


def consume(conn, project_id, amounts, default_limits):
    """Add ``amounts`` (resource -> amount) to the project's usage.

    Raises ``Exceeded`` when a tracked resource would pass its limit,
    ``Untracked`` when one a default limit applies to has no row yet; the
    caller's transaction then rolls back. Runs in the transaction of the
    claim (or resize) that changes the allocations. The look at the rows
    locks them to the commit, which ``_exclude_claims`` waits for. A
    project without limits has no rows, and its claims wait for nothing
    here.
    """
    resources = tuple(sorted(r for r, n in amounts.items() if n))
    if not resources:
        return
    _pass_gate(conn)
    tracked = set(compiled.execute(conn, _TRACKED,
                                   {'project': project_id}).scalars())
    untracked = [r for r in resources if r not in tracked]
    # NOTE: a project's own limit always has its row (``replace``); only a
    # default can apply to a resource without one, so the project's own
    # limits are read only when a default is set.
    if any(default_limits.get(r, UNLIMITED) >= 0 for r in untracked):
        limits = effective_limits(conn, project_id, default_limits)
        if any(limits.get(r, UNLIMITED) >= 0 for r in untracked):
            raise Untracked()
    counted = tuple(r for r in resources if r in tracked)
    if counted and compiled.execute(
            conn, _consume_statement(counted),
            _params(project_id, counted, amounts, default_limits)
    ).rowcount < len(counted):
        raise Exceeded()


def tracked_first(db, project_id, default_limits, claim):
    """``claim()``, a transaction that calls ``consume``; when it finds a
    resource ``Untracked``, start the rows (``_retrack``) and claim again.
    """
    try:
        return claim()
    except Untracked:
        _in_own_transaction(db, lambda conn: _retrack(
            conn, project_id, default_limits or {}))
    try:
        return claim()
    except Untracked as e:
        # Another server, run with other defaults, stopped tracking it
        # meanwhile: a lost race, placed again.
        raise exception.ClaimConflict(
            reason='usage of project %s not tracked yet' % project_id
        ) from e


@engine.retry_on_deadlock
def _in_own_transaction(db, work):
    """Run ``work(conn)`` in a writer transaction of its own that excludes
    claims from its start. Two of these take turns there too, so neither
    inserts a row the other started.

    NOTE: READ COMMITTED on MySQL: there its default, REPEATABLE READ,
    could read the allocations as of before ``_exclude_claims`` waited.
    """
    with db.connection(writer=True, read_committed=True) as conn:
        _exclude_claims(conn)
        return work(conn)


def _exclude_claims(conn):
    """Wait for every claim and release that has looked at the usage rows
    and hold back the next ones, to the end of this transaction.

    PostgreSQL: a table lock that conflicts with the lock of ``_TRACKED``
    (``FOR UPDATE``) and of any ``UPDATE``; plain reads go on. MySQL: the
    row ``_pass_gate`` locks. SQLite: writers already take turns. Taken
    first: on MySQL a claim holding the counter row may wait for a limit
    row this transaction writes.
    """
    if conn.dialect.name == 'postgresql':
        conn.exec_driver_sql('LOCK TABLE project_usages IN EXCLUSIVE MODE')
    else:
        _pass_gate(conn)


def _retrack(conn, project_id, default_limits, own=None):
    """Keep a row for exactly the resources a limit applies to: the
    project's ``own`` limits (as stored, when None) over the defaults.

    Runs under ``_exclude_claims``: the allocations counted are final.
    """
    if own is None:
        own = _own_limits(conn, project_id)
    limits = dict(default_limits, **own)
    wanted = {r for r, n in limits.items() if n >= 0}
    tracked = set(conn.execute(sa.select(U.c.resource).where(
        U.c.project_id == project_id)).scalars())
    new = tuple(sorted(wanted - tracked))
    if new:
        conn.execute(sa.insert(U), [
            {'project_id': project_id, 'resource': r, 'used': 0}
            for r in new])
        held = holdings(conn, project_id).get(project_id, {})
        conn.execute(sa.update(U).where(
            U.c.project_id == project_id,
            U.c.resource.in_([_name(r) for r in new]),
        ).values(used=_per_resource(new, 'held')),
            {'held_%d' % i: held.get(r, 0) for i, r in enumerate(new)})
    gone = sorted(tracked - wanted)
    if gone:
        conn.execute(sa.delete(U).where(U.c.project_id == project_id,
                                        U.c.resource.in_(gone)))


def explain(db, project_id, amounts, default_limits):
    """Raise ``OverQuota`` naming the resource a refused claim would pass.

    When usage dropped meanwhile and there is room now, raise
    ``ClaimConflict`` instead, so the request is placed again.
    """
    limits, held = limited_usage(db, project_id, default_limits)
    for resource, asked in sorted(amounts.items()):
        limit = limits.get(resource, UNLIMITED)
        usage = held.get(resource, 0)
        if asked and limit >= 0 and usage + asked > limit:
            raise exception.OverQuota(
                resource=resource, project_id=project_id, limit=limit,
                usage=usage, asked=asked)
    raise exception.ClaimConflict(reason='usage of project %s changed'
                                  % project_id)


def release(conn, project_id, amounts):
    """Take ``amounts`` off the project's tracked rows (a release)."""
    resources = tuple(sorted(r for r, n in amounts.items() if n))
    if not resources:
        return
    _pass_gate(conn)
    taken = _per_resource(resources, 'taken')
    params = {'taken_%d' % i: amounts[r] for i, r in enumerate(resources)}
    conn.execute(sa.update(U).where(
        U.c.project_id == project_id,
        U.c.resource.in_([_name(r) for r in resources])
    ).values(used=U.c.used - taken), params)


def holdings(conn, project_id=None):
    """``{project_id: {resource: amount}}``: what the live allocations of
    one project (of every project, when None) hold, ``instances`` too."""
    def of(query, table):
        query = query.join_from(table, S, S.c.id == table.c.schedule_id)
        if project_id is not None:
            query = query.where(S.c.project_id == project_id)
        return conn.execute(query)

    held = collections.defaultdict(dict)
    standard = [sa.func.sum(A.c[f]) for f in capacity.STANDARD.values()]
    for project, instances, *amounts in of(sa.select(
            S.c.project_id, sa.func.count(), *standard
    ).group_by(S.c.project_id), A):
        held[project]['instances'] = instances
        held[project].update(zip(capacity.STANDARD, map(int, amounts)))
    for project, name, amount in of(sa.select(
            S.c.project_id, CA.c.resource_class, sa.func.sum(CA.c.amount)
    ).group_by(S.c.project_id, CA.c.resource_class), CA):
        held[project][name] = int(amount)
    return held


def _own_limits(conn, project_id):
    return dict(conn.execute(sa.select(Q.c.resource, Q.c.hard_limit).where(
        Q.c.project_id == project_id)).all())


def effective_limits(conn, project_id, default_limits):
    """The defaults overlaid with the project's own limits."""
    return dict(default_limits, **_own_limits(conn, project_id))


def _usage_view(held):
    """Usage as the API shows it: the standard resources always, custom
    classes while held."""
    usage = dict.fromkeys(STANDARD_USAGE, 0)
    usage.update((r, n) for r, n in held.items() if n)
    return usage


def usage(db, project_id):
    with db.connection() as conn:
        return _usage_view(holdings(conn, project_id)[project_id])


def all_usages(db):
    """``{project_id: usage}`` of every project that holds anything or
    has limits of its own."""
    with db.connection() as conn:
        held = holdings(conn)
        limited = conn.execute(sa.select(Q.c.project_id).distinct()).scalars()
        return {p: _usage_view(held[p]) for p in set(held).union(limited)}


def get(db, project_id, default_limits):
    """``(limits, usage)``: every limit that applies, and the usage."""
    with db.connection() as conn:
        limits = effective_limits(conn, project_id, default_limits)
        held = holdings(conn, project_id)[project_id]
    return limits, _usage_view(held)


def limited_usage(db, project_id, default_limits):
    """``(limits, usage)`` as ``get``, the usage only of the resources a
    limit applies to: read from their rows, which are exact and small,
    rather than summed over every allocation of the project (the sum only
    for a default the project has not claimed under yet)."""
    with db.connection() as conn:
        limits = effective_limits(conn, project_id, default_limits)
        limited = {r for r, n in limits.items() if n >= 0}
        if not limited:
            return limits, {}
        usage = dict(conn.execute(sa.select(U.c.resource, U.c.used).where(
            U.c.project_id == project_id)).all())
        if not limited <= set(usage):
            usage = dict(holdings(conn, project_id)[project_id], **usage)
    return limits, usage


def replace(db, project_id, limits, default_limits=None):
    """Make ``limits`` the project's own limits, in place of any before;
    the rows tracked change with them (``default_limits``: ``[quota]``'s,
    None for none)."""
    def work(conn):
        conn.execute(sa.delete(Q).where(Q.c.project_id == project_id))
        if limits:
            conn.execute(sa.insert(Q), [
                {'project_id': project_id, 'resource': r, 'hard_limit': n}
                for r, n in sorted(limits.items())])
        _retrack(conn, project_id, default_limits or {}, own=limits)
    _in_own_transaction(db, work)


def delete(db, project_id, default_limits=None):
    """Back to the ``[quota]`` defaults."""
    replace(db, project_id, {}, default_limits)
