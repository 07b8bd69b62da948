"""A project's named server group: the generation that serialises its
claims, its members, and its row's end with its last schedule."""

import sqlalchemy as sa

from sora_api.db import models


def bump_group(conn, project_id, group, generation, members, policy=None):
    """Compare-and-swap the group's generation read before scheduling.

    ``policy`` (``topology.group_policy``: policy, topology key, max per
    domain; None: leave them) is written with the swap: the request was
    placed under it, and as its members were read it had no other (no
    live schedule, or the same). A concurrent first claim under another
    policy makes this swap lose, and the request, placed again, sees it.

    NOTE: a group's row is deleted with its last schedule, so a row made
    again later counts from 1 and could reach the generation a slow request
    read from the old row (ABA). The swap holds the row's lock, so the
    members read here are final: the claim stands only when they are the
    ``members`` (host -> count) the request was placed against.
    """
    table = models.ScheduleGroup.__table__
    fixed = {} if policy is None else dict(zip(
        ('policy', 'topology_key', 'max_per_domain'), policy))
    if generation is None:
        conn.execute(sa.insert(table).values(
            project_id=project_id, name=group, generation=1, **fixed))
        return True
    result = conn.execute(
        sa.update(table)
        .where(table.c.project_id == project_id, table.c.name == group,
               table.c.generation == generation)
        .values(generation=generation + 1, **fixed))
    return (result.rowcount == 1
            and _members(conn, project_id, group) == dict(members or {}))


def _members(conn, project_id, group):
    """``{host_id: members there}`` of a group, in ``conn``'s transaction."""
    A = models.Allocation
    S = models.Schedule
    return dict(conn.execute(
        sa.select(A.host_id, sa.func.count())
        .join(S, S.id == A.schedule_id)
        .where(S.project_id == project_id, S.group_name == group)
        .group_by(A.host_id)).all())


def drop_group_if_empty(conn, project_id, group):
    """Delete the group's row once no schedule of the group is left."""
    S = models.Schedule.__table__
    G = models.ScheduleGroup.__table__
    conn.execute(sa.delete(G).where(
        G.c.project_id == project_id, G.c.name == group,
        ~sa.exists().where(S.c.project_id == project_id,
                           S.c.group_name == group)))


def group_snapshot(db, project_id, group):
    """``(generation or None, {host_id: members there}, fixed)``: what a
    claim compares-and-swaps, and the ``(policy, topology_key,
    max_per_domain)`` the group's row holds (None without a row).

    NOTE: on a server database each statement reads its own snapshot, so
    the members are read first: a row read after them is at least as new.
    A claim in between leaves members older than the generation, and the
    claim's swap, which compares both, makes such a request place again;
    reading the row first let a request see no row (no policy) and the
    members of the claim that made it.
    """
    G = models.ScheduleGroup
    with db.connection() as conn:
        members = _members(conn, project_id, group)
        row = conn.execute(sa.select(
            G.generation, G.policy, G.topology_key, G.max_per_domain
        ).where(G.project_id == project_id, G.name == group)).first()
    if row is None:
        return None, members, None
    return row.generation, members, tuple(row)[1:]
