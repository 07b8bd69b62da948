"""What hosts, their inventories and projects hold: the conditional
``UPDATE``s that take usage and give it back.

A host is claimed by one conditional ``UPDATE`` that adds the usage only
while it still fits (``used + asked <= total * ratio - reserved``), and,
with instances arriving, only while the host is enabled; each custom class
on it by one on its ``inventories`` row (also within ``max_unit``). Claims
(``claims``), moves, resizes, holds and deletes all use these, each inside
its own transaction.
"""

import collections
import functools

import sqlalchemy as sa

from sora_api import capacity
from sora_api import exception
from sora_api import timeutils
from sora_api.db import compiled
from sora_api.db import hosts as db_hosts
from sora_api.db import models
from sora_api.db import quotas
from sora_api.db import together

H = models.Host.__table__
INV = models.Inventory.__table__
CA = models.CustomAllocation.__table__
RESOURCES = ('vcpus', 'memory_mb', 'disk_gb')
_USABLE = {resource: capacity.usable(*(H.c[c] for c in columns[:3]))
           for resource, columns in capacity.STANDARD_COLUMNS.items()}
_CLAIM_INVENTORY = sa.update(INV).where(
    INV.c.host_id == sa.bindparam('inventory_host'),
    INV.c.resource_class == sa.bindparam('inventory_class'),
    INV.c.used + sa.bindparam('asked') <= capacity.usable(
        INV.c.total, INV.c.allocation_ratio, INV.c.reserved),
    sa.bindparam('unit') <= INV.c.max_unit,
).values(used=INV.c.used + sa.bindparam('asked'))


@functools.cache
def _claim_statement(checked, arriving):
    """The conditional UPDATE of a claim checking the resources ``checked``
    and, when instances are ``arriving``, that the host is enabled.

    Built once per combination, with bound parameters, so SQLAlchemy
    compiles each only once.
    """
    conditions = [H.c.id == sa.bindparam('host_id')]
    if arriving:
        # The host row is what a disable updates: a claim that chose the
        # host before it was disabled and lands after finds no row, so a
        # drain that lists the host's schedules after disabling it sees
        # every instance that will ever be there.
        conditions.append(H.c.enabled == sa.true())
    values = {'instances': H.c.instances + sa.bindparam('count'),
              'generation': H.c.generation + 1,
              'updated_at': sa.bindparam('now')}
    for resource in RESOURCES:
        used = H.c[resource + '_used']
        asked = sa.bindparam('asked_' + resource)
        if resource in checked:
            conditions.append(used + asked <= _USABLE[resource])
        values[resource + '_used'] = used + asked
    return sa.update(H).where(*conditions).values(values)


def claim_host(conn, host_id, asked, instances, now):
    """Add ``asked`` usage and ``instances`` arriving to one host if it
    still fits (and, with instances arriving, is enabled); False if not."""
    checked = tuple(r for r in RESOURCES if asked[r])
    result = compiled.execute(conn, _claim_statement(checked, instances > 0),
                              _claim_params(host_id, asked, instances, now))
    return result.rowcount == 1


def _claim_params(host_id, asked, instances, now):
    params = {'asked_' + r: asked[r] for r in RESOURCES}
    params.update(host_id=host_id, count=instances, now=now)
    return params


def arrive(conn, host_id, standard, custom, count, now):
    """``count`` instances, each of ``standard`` (v1 field -> amount) and
    ``custom`` (class -> amount), arrive on a host; ``ClaimConflict`` when
    it has no room left (or is disabled)."""
    if not (claim_host(conn, host_id, _times(standard, count), count, now)
            and claim_inventories(conn, host_id, custom, count)):
        raise exception.ClaimConflict(
            reason='host %s has no room left' % host_id)


def arrive_parts(host_id, standard, custom, count, now, prefix):
    """``arrive`` as ``together`` parts of a claim sent in one message
    (PostgreSQL): a host without room makes the transaction ``Refused``.
    ``prefix``: distinct for each host of the claim."""
    asked = _times(standard, count)
    checked = tuple(r for r in RESOURCES if asked[r])
    reason = 'host %s has no room left' % host_id
    parts = [together.required(
        _claim_statement(checked, count > 0),
        _claim_params(host_id, asked, count, now), prefix, reason)]
    for i, name in enumerate(sorted(custom)):
        parts.append(together.required(_CLAIM_INVENTORY, {
            'inventory_host': host_id, 'inventory_class': name,
            'asked': custom[name] * count, 'unit': custom[name]},
            '%si%d_' % (prefix, i), reason))
    return parts


def leave(conn, host_id, standard, custom, count, now):
    """``count`` instances, each of ``standard`` and ``custom``, leave a
    host: what they held is given back."""
    release_host(conn, host_id, _times(standard, count), count, now)
    for name, amount in sorted(custom.items()):
        release_inventory(conn, host_id, name, amount * count)


def _times(amounts, count):
    return {r: v * count for r, v in amounts.items()}


def claim_inventories(conn, host_id, custom, count):
    """Take ``count`` instances of ``custom`` (class -> amount each) from
    the host's inventories, in class order; False if one has no room."""
    return all(claim_inventory(conn, host_id, name, custom[name] * count,
                               custom[name])
               for name in sorted(custom))


def claim_inventory(conn, host_id, name, asked, unit):
    """Add ``asked`` of class ``name`` on the host if it fits and ``unit``
    (what one instance holds) is within ``max_unit``; False if not."""
    return compiled.execute(conn, _CLAIM_INVENTORY, {
        'inventory_host': host_id, 'inventory_class': name,
        'asked': asked, 'unit': unit}).rowcount == 1


def split_resources(resources):
    """``(standard, custom)``: the v1 fields (all three) and the custom
    classes asked (amount > 0) of a request's ``resources``."""
    standard = {r: resources.get(r, 0) for r in RESOURCES}
    custom = {c: n for c, n in resources.items()
              if n and c not in RESOURCES}
    return standard, custom


def project_amounts(resources, instances):
    """What ``instances`` instances of ``resources`` add to project usage."""
    amounts = {capacity.class_of(r): n * instances
               for r, n in resources.items() if n}
    amounts['instances'] = instances
    return amounts


def release(conn, schedule_id, project_id):
    """Drop the schedule's allocations and give hosts, inventories and the
    project's usage back what they held, in ``conn``'s transaction."""
    A = models.Allocation.__table__
    now = timeutils.utcnow()
    released = conn.execute(
        sa.delete(A).where(A.c.schedule_id == schedule_id)
        .returning(A.c.host_id, A.c.vcpus, A.c.memory_mb, A.c.disk_gb)
    ).all()
    per_host = collections.defaultdict(lambda: [0, 0, 0, 0])
    for host_id, vcpus, memory_mb, disk_gb in released:
        totals = per_host[host_id]
        totals[0] += vcpus
        totals[1] += memory_mb
        totals[2] += disk_gb
        totals[3] += 1
    for host_id in sorted(per_host):
        vcpus, memory_mb, disk_gb, count = per_host[host_id]
        release_host(conn, host_id, {'vcpus': vcpus, 'memory_mb': memory_mb,
                                     'disk_gb': disk_gb}, count, now)
    amounts = collections.Counter()
    for vcpus, memory_mb, disk_gb, count in per_host.values():
        amounts.update(VCPU=vcpus, MEMORY_MB=memory_mb, DISK_GB=disk_gb,
                       instances=count)
    amounts.update(_release_custom(conn, schedule_id))
    quotas.release(conn, project_id, amounts)
    if per_host:
        db_hosts.mark_changed(conn, per_host)


def _release_custom(conn, schedule_id):
    """Give a schedule's custom-class amounts back to the inventories;
    returns ``{class: amount}`` released."""
    released = collections.Counter()
    per_inventory = collections.Counter()
    for host_id, name, amount in conn.execute(
            sa.delete(CA).where(CA.c.schedule_id == schedule_id)
            .returning(CA.c.host_id, CA.c.resource_class, CA.c.amount)):
        per_inventory[host_id, name] += amount
        released[name] += amount
    for (host_id, name), amount in sorted(per_inventory.items()):
        release_inventory(conn, host_id, name, amount)
    return released


# Built once, with bound parameters, so SQLAlchemy compiles it once.
_RELEASE_HOST = sa.update(H).where(H.c.id == sa.bindparam('host_id')).values(
    dict({resource + '_used': H.c[resource + '_used']
          - sa.bindparam('freed_' + resource) for resource in RESOURCES},
         instances=H.c.instances - sa.bindparam('count'),
         generation=H.c.generation + 1, updated_at=sa.bindparam('now')))


def release_host(conn, host_id, freed, instances, now):
    """Take ``freed`` (v1 field -> amount) and ``instances`` off a host."""
    params = {'freed_' + r: freed[r] for r in RESOURCES}
    params.update(host_id=host_id, count=instances, now=now)
    conn.execute(_RELEASE_HOST, params)


def release_inventory(conn, host_id, name, amount):
    """Give ``amount`` of custom class ``name`` back to a host."""
    conn.execute(sa.update(INV).where(
        INV.c.host_id == host_id, INV.c.resource_class == name
    ).values(used=INV.c.used - amount))
