"""Per-project limits and usage; the quota check inside a claim.

A project's usage of each resource (``instances`` and every class it
holds) is a row of ``project_usages``, changed only in the transactions
that claim or release allocations. A claim adds to the rows with one
conditional ``UPDATE`` that matches only rows still within their limit
(the project's own, else the ``[quota]`` default): like a host claim, the
database decides, so racing requests, workers and servers never take a
project past a limit.
"""

import functools
import re

import sqlalchemy as sa

from sora_api import exception
from sora_api.db import models

Q = models.Quota.__table__
U = models.ProjectUsage.__table__
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


def consume(conn, project_id, amounts, default_limits):
    """Add ``amounts`` (resource -> amount) to the project's usage.

    Raises ``Exceeded`` when a resource would pass its limit; the caller's
    transaction then rolls back. Runs in the claim's transaction, after its
    other rows: every claim of the project queues on these until it ends.
    """
    resources = tuple(sorted(r for r, n in amounts.items() if n))
    if not resources:
        return
    updated = conn.execute(_consume_statement(resources), _params(
        project_id, resources, amounts, default_limits)).rowcount
    if updated == len(resources):
        return
    held = _usage_rows(conn, project_id)
    if updated < len([r for r in resources if r in held]):
        raise Exceeded()
    # First claims of these resources by the project: start their rows at
    # 0, then add as above. Two first claims racing to insert make one hit
    # the primary key and be placed again (a lost race, never seen).
    missing = tuple(r for r in resources if r not in held)
    conn.execute(sa.insert(U), [
        {'project_id': project_id, 'resource': r, 'used': 0}
        for r in missing])
    if conn.execute(_consume_statement(missing), _params(
            project_id, missing, amounts, default_limits)
    ).rowcount < len(missing):
        raise Exceeded()


def explain(db, project_id, amounts, default_limits):
    """Raise ``OverQuota`` naming the resource a refused claim would pass.

    When usage dropped meanwhile and there is room now, raise
    ``ClaimConflict`` instead, so the request is placed again.
    """
    with db.connection() as conn:
        limits = effective_limits(conn, project_id, default_limits)
        held = _usage_rows(conn, project_id)
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
    """Take ``amounts`` off the project's usage (a schedule's release)."""
    resources = tuple(sorted(r for r, n in amounts.items() if n))
    if not resources:
        return
    taken = _per_resource(resources, 'taken')
    params = {'taken_%d' % i: amounts[r] for i, r in enumerate(resources)}
    conn.execute(sa.update(U).where(
        U.c.project_id == project_id,
        U.c.resource.in_([_name(r) for r in resources])
    ).values(used=U.c.used - taken), params)


def _usage_rows(conn, project_id):
    return dict(conn.execute(sa.select(U.c.resource, U.c.used).where(
        U.c.project_id == project_id)).all())


def _own_limits(conn, project_id):
    return dict(conn.execute(sa.select(Q.c.resource, Q.c.hard_limit).where(
        Q.c.project_id == project_id)).all())


def effective_limits(conn, project_id, default_limits):
    """The defaults overlaid with the project's own limits."""
    return dict(default_limits, **_own_limits(conn, project_id))


def _usage_view(rows):
    """Usage as the API shows it: the standard resources always, custom
    classes while held."""
    usage = dict.fromkeys(STANDARD_USAGE, 0)
    usage.update((r, n) for r, n in rows.items()
                 if n or r in STANDARD_USAGE)
    return usage


def usage(db, project_id):
    with db.connection() as conn:
        return _usage_view(_usage_rows(conn, project_id))


def all_usages(db):
    """``{project_id: usage}`` of every project that ever held anything."""
    projects = {}
    with db.connection() as conn:
        for project_id, resource, used in conn.execute(
                sa.select(U.c.project_id, U.c.resource, U.c.used)
                .order_by(U.c.project_id)):
            projects.setdefault(project_id, {})[resource] = used
    return {p: _usage_view(rows) for p, rows in projects.items()}


def get(db, project_id, default_limits):
    """``(limits, usage)``: every limit that applies, and the usage."""
    with db.connection() as conn:
        limits = effective_limits(conn, project_id, default_limits)
        held = _usage_rows(conn, project_id)
    return limits, _usage_view(held)


def replace(db, project_id, limits):
    """Make ``limits`` the project's own limits, in place of any before."""
    with db.connection(writer=True) as conn:
        conn.execute(sa.delete(Q).where(Q.c.project_id == project_id))
        if limits:
            conn.execute(sa.insert(Q), [
                {'project_id': project_id, 'resource': r, 'hard_limit': n}
                for r, n in sorted(limits.items())])


def delete(db, project_id):
    """Back to the ``[quota]`` defaults."""
    with db.connection(writer=True) as conn:
        conn.execute(sa.delete(Q).where(Q.c.project_id == project_id))
