"""Reading groups: their fixed policy, live members and the hosts those
members run on now (``GET /v1/groups``, the policy gauge).

A group is listed while it has a live instance: one whose schedule still
holds an allocation. Its policy is what its first live schedule fixed
(``schedule_groups``); where members are and whether the policy holds is
judged by ``topology.health`` over the hosts as they are now.
"""

import collections
import dataclasses

import sqlalchemy as sa

from sora_api import exception
from sora_api import liveness
from sora_api import timeutils
from sora_api import topology
from sora_api.db import models

G = models.ScheduleGroup.__table__
S = models.Schedule.__table__
A = models.Allocation.__table__
H = models.Host.__table__
M = models.HostMetadata.__table__


@dataclasses.dataclass
class Group:
    project_id: str
    name: str
    policy: str | None
    topology_key: str | None
    max_per_domain: int | None
    members: object  # a count in lists, ``topology.Member``s in ``get``


def _live_groups(project_id=None):
    """Groups with their count of live instances, those with none left out."""
    members = sa.func.count(A.c.schedule_id)
    query = (sa.select(G.c.project_id, G.c.name, G.c.policy,
                       G.c.topology_key, G.c.max_per_domain, members)
             .join(S, sa.and_(S.c.project_id == G.c.project_id,
                              S.c.group_name == G.c.name))
             .join(A, A.c.schedule_id == S.c.id)
             .group_by(G.c.project_id, G.c.name, G.c.policy,
                       G.c.topology_key, G.c.max_per_domain)
             .having(members > 0))
    if project_id is not None:
        query = query.where(G.c.project_id == project_id)
    return query


def list_groups(db, project_id, limit, marker=None):
    """A page of the project's live groups, by name; ``marker`` is the
    name of the last group of the previous page.

    ``project_id`` None: every project's, by project then name, and
    ``marker`` is the last one's ``(project_id, name)``.
    """
    if project_id is None:
        order = (G.c.project_id, G.c.name)
        if marker is not None:
            where = sa.or_(G.c.project_id > marker[0], sa.and_(
                G.c.project_id == marker[0], G.c.name > marker[1]))
            known = sa.and_(G.c.project_id == marker[0],
                            G.c.name == marker[1])
    else:
        order = (G.c.name,)
        if marker is not None:
            where = G.c.name > marker
            known = sa.and_(G.c.project_id == project_id, G.c.name == marker)
    query = _live_groups(project_id).order_by(*order).limit(limit)
    with db.connection() as conn:
        if marker is not None:
            if conn.execute(sa.select(G.c.name).where(known)).first() is None:
                raise exception.MarkerNotFound(
                    marker='/'.join(marker) if project_id is None else marker)
            query = query.where(where)
        return [Group(*row) for row in conn.execute(query)]


def get(db, project_id, name, service_down_time):
    """The group with its live members (``topology.Member``) on their
    hosts as they are now; ``GroupNotFound`` when it has none."""
    with db.connection() as conn:
        row = conn.execute(sa.select(
            G.c.policy, G.c.topology_key, G.c.max_per_domain
        ).where(G.c.project_id == project_id, G.c.name == name)).first()
        members = _members(conn, service_down_time,
                           S.c.project_id == project_id,
                           S.c.group_name == name)
    if row is None or not members:
        raise exception.GroupNotFound(group=name)
    return Group(project_id, name, *row, members=members[project_id, name])


def broken_hard_policies(db, service_down_time):
    """How many groups (every project's) under a hard policy do not hold
    it now."""
    hard = G.c.policy.in_(sorted(topology.HARD_POLICIES))
    with db.connection() as conn:
        groups = conn.execute(sa.select(
            G.c.project_id, G.c.name, G.c.policy, G.c.topology_key,
            G.c.max_per_domain).where(hard)).all()
        if not groups:
            return 0
        # Only those groups' members: a scrape need not read every
        # grouped instance's host and metadata.
        members = _members(conn, service_down_time, sa.exists().where(
            G.c.project_id == S.c.project_id, G.c.name == S.c.group_name,
            hard))
    return sum(
        1 for project_id, name, policy, key, limit in groups
        if (project_id, name) in members
        and not topology.health(policy, key, limit,
                                members[project_id, name]).policy_holds)


def _members(conn, service_down_time, *where):
    """``{(project_id, group): [Member]}`` of the live instances of the
    schedules matching ``where``, in instance order."""
    cutoff = liveness.down_cutoff(timeutils.utcnow(), service_down_time)
    rows = conn.execute(
        sa.select(S.c.project_id, S.c.group_name, A.c.schedule_id,
                  A.c.instance_index, A.c.host_id, H.c.name,
                  H.c.availability_zone,
                  liveness.up(H.c.last_heartbeat, cutoff))
        .join(A, A.c.schedule_id == S.c.id)
        .join(H, H.c.id == A.c.host_id)
        .where(*where)
        .order_by(S.c.created_at, A.c.schedule_id,
                  A.c.instance_index)).all()
    metadata = collections.defaultdict(dict)
    host_ids = sorted({row.host_id for row in rows})
    for start in range(0, len(host_ids), 500):
        for host_id, key, value in conn.execute(
                sa.select(M.c.host_id, M.c.key, M.c.value).where(
                    M.c.host_id.in_(host_ids[start:start + 500]))):
            metadata[host_id][key] = value
    found = collections.defaultdict(list)
    for (project_id, group, schedule_id, index, host_id, host_name, zone,
         up) in rows:
        found[project_id, group].append(topology.Member(
            schedule_id, index, host_id, host_name, zone,
            metadata[host_id], bool(up)))
    return found
