"""Queries and writes of host records."""

import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from sora_api import exception
from sora_api import liveness
from sora_api import timeutils
from sora_api.db import models

# Capacity fields whose change may shrink usable capacity below usage.
_CAPACITY = {
    'vcpus': ('vcpus', 'cpu_allocation_ratio', 'reserved_vcpus'),
    'memory_mb': ('memory_mb', 'ram_allocation_ratio', 'reserved_memory_mb'),
    'disk_gb': ('disk_gb', 'disk_allocation_ratio', 'reserved_disk_gb'),
}


def _set_traits(host, traits):
    host.traits = [models.HostTrait(trait=t) for t in sorted(set(traits))]


def _set_metadata(host, metadata):
    host.metadata_items = [models.HostMetadata(key=k, value=v)
                           for k, v in sorted(metadata.items())]


def create(db, values):
    """Insert a host; ``values`` are validated fields with defaults filled."""
    values = dict(values)
    traits = values.pop('traits', [])
    metadata = values.pop('metadata', {})
    now = timeutils.utcnow()
    host = models.Host(id=str(uuid.uuid4()), generation=1, vcpus_used=0,
                       memory_mb_used=0, disk_gb_used=0, instances=0,
                       created_at=now, updated_at=now, **values)
    _set_traits(host, traits)
    _set_metadata(host, metadata)
    try:
        with db.writer() as session:
            session.add(host)
    except sa_exc.IntegrityError:
        raise exception.HostNameExists(name=values['name']) from None
    return host


def get(db, host_id):
    with db.reader() as session:
        host = session.get(models.Host, host_id)
        if host is None:
            raise exception.HostNotFound(host_id=host_id)
        return host


def list_hosts(db, limit, marker=None, name=None, availability_zone=None,
               enabled=None, status=None, traits=(), now=None,
               service_down_time=None):
    """A page of hosts ordered by id, after the host ``marker``."""
    query = sa.select(models.Host).order_by(models.Host.id).limit(limit)
    if name is not None:
        query = query.where(models.Host.name == name)
    if availability_zone is not None:
        query = query.where(models.Host.availability_zone == availability_zone)
    if enabled is not None:
        query = query.where(models.Host.enabled == enabled)
    if status is not None:
        cutoff = liveness.down_cutoff(now, service_down_time)
        beat = models.Host.last_heartbeat
        if status == 'down':
            query = query.where(beat.is_not(None), beat < cutoff)
        else:
            query = query.where(sa.or_(beat.is_(None), beat >= cutoff))
    for trait in traits:
        query = query.where(sa.exists().where(
            models.HostTrait.host_id == models.Host.id,
            models.HostTrait.trait == trait))
    with db.reader() as session:
        if marker is not None:
            if session.get(models.Host, marker) is None:
                raise exception.MarkerNotFound(marker=marker)
            query = query.where(models.Host.id > marker)
        return list(session.scalars(query))


def _usable(host, total_field, ratio_field, reserved_field):
    return (getattr(host, total_field) * getattr(host, ratio_field)
            - getattr(host, reserved_field))


def update(db, host_id, values, allowed_generations=None):
    """Apply a partial update; refuse one that strands live allocations.

    ``allowed_generations`` (from ``If-Match``) makes the update conditional
    on the host still being at one of those generations.
    """
    values = dict(values)
    traits = values.pop('traits', None)
    metadata = values.pop('metadata', None)
    try:
        with db.writer() as session:
            host = session.get(models.Host, host_id, with_for_update=True)
            if host is None:
                raise exception.HostNotFound(host_id=host_id)
            if (allowed_generations is not None
                    and host.generation not in allowed_generations):
                raise exception.GenerationConflict(
                    host_id=host_id, actual=host.generation,
                    expected=', '.join(map(str, sorted(allowed_generations)))
                    or 'none')
            for field, value in values.items():
                setattr(host, field, value)
            for resource, fields in _CAPACITY.items():
                used = getattr(host, resource + '_used')
                if used and _usable(host, *fields) < used:
                    raise exception.HostInUse(
                        host_id=host_id,
                        reason='usable %s would be %g, below the %d in use'
                               % (resource, _usable(host, *fields), used))
            if traits is not None:
                _set_traits(host, traits)
            if metadata is not None:
                _set_metadata(host, metadata)
            host.generation += 1
            host.updated_at = timeutils.utcnow()
    except sa_exc.IntegrityError:
        raise exception.HostNameExists(name=values.get('name')) from None
    return host


def delete(db, host_id):
    with db.writer() as session:
        host = session.get(models.Host, host_id, with_for_update=True)
        if host is None:
            raise exception.HostNotFound(host_id=host_id)
        if host.instances:
            raise exception.HostInUse(
                host_id=host_id,
                reason='%d instances are allocated on it' % host.instances)
        session.delete(host)


def heartbeat(db, host_id, io_ops=None):
    values = {'last_heartbeat': timeutils.utcnow(),
              'updated_at': timeutils.utcnow(),
              'generation': models.Host.generation + 1}
    if io_ops is not None:
        values['io_ops'] = io_ops
    with db.writer() as session:
        result = session.execute(
            sa.update(models.Host).where(models.Host.id == host_id)
            .values(**values))
        if result.rowcount == 0:
            raise exception.HostNotFound(host_id=host_id)


def scheduling_snapshot(db):
    """Every host with its traits and metadata, as plain rows.

    Returns ``(hosts, traits, metadata)``: host rows as mappings, and dicts
    of host id -> trait list and host id -> {key: value}. Plain Core
    queries, three in all, whatever the number of hosts.
    """
    traits = {}
    metadata = {}
    with db.reader() as session:
        hosts = session.execute(
            sa.select(models.Host.__table__)).mappings().all()
        for host_id, trait in session.execute(
                sa.select(models.HostTrait.host_id, models.HostTrait.trait)):
            traits.setdefault(host_id, []).append(trait)
        for host_id, key, value in session.execute(
                sa.select(models.HostMetadata.host_id, models.HostMetadata.key,
                          models.HostMetadata.value)):
            metadata.setdefault(host_id, {})[key] = value
    return hosts, traits, metadata
