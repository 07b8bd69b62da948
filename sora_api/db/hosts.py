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
            session.flush()
            mark_changed(session, [host.id], attributes=True)
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
            session.flush()
            mark_changed(session, [host_id], attributes=True)
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
        session.flush()
        session.add(models.HostTombstone(host_id=host_id,
                                         change_seq=next_change(session)))


def heartbeat(db, host_id, io_ops=None):
    values = {'last_heartbeat': timeutils.utcnow(),
              'updated_at': timeutils.utcnow(),
              'generation': models.Host.generation + 1}
    if io_ops is not None:
        values['io_ops'] = io_ops
    with db.connection(writer=True) as session:
        values['change_seq'] = next_change(session)
        result = session.execute(
            sa.update(models.Host).where(models.Host.id == host_id)
            .values(**values))
        if result.rowcount == 0:
            raise exception.HostNotFound(host_id=host_id)


def next_change(session):
    """Take the next host-change number, in this writing transaction.

    The counter row stays locked until the transaction ends, so numbers are
    handed out in commit order; callers take it as late as they can, to
    hold that lock only briefly.
    """
    counter = models.HostChanges.__table__
    session.execute(sa.update(counter).where(counter.c.id == 1)
                    .values(seq=counter.c.seq + 1))
    return session.execute(sa.select(counter.c.seq).where(
        counter.c.id == 1)).scalar_one()


def mark_changed(session, host_ids, attributes=False):
    """Stamp hosts with a new change number (``attributes``: not just usage).

    Call it last in the transaction that changed them.
    """
    H = models.Host.__table__
    seq = next_change(session)
    values = {'change_seq': seq}
    if attributes:
        values['attrs_seq'] = seq
    session.execute(sa.update(H).where(H.c.id.in_(list(host_ids)))
                    .values(values))


class Changes:
    """What changed among the hosts after a host-change number."""

    def __init__(self, rows, traits, metadata, deleted, seq):
        self.rows = rows
        self.traits = traits
        self.metadata = metadata
        self.deleted = deleted
        self.seq = seq


# Past this many hosts with new attributes, read every trait and metadata
# row rather than a long IN list.
_ATTRIBUTES_IN_LIST = 500


def changes_since(db, seq):
    """Hosts changed after change number ``seq`` (-1: all), or None.

    ``Changes.rows`` are host rows as mappings; ``traits`` and
    ``metadata`` map the id of every host whose attributes changed (and only
    those) to its traits and metadata; ``deleted`` lists deleted host ids.
    """
    H = models.Host.__table__
    counter = models.HostChanges.__table__
    with db.connection() as session:
        current = session.execute(sa.select(counter.c.seq).where(
            counter.c.id == 1)).scalar_one()
        if current == seq:
            return None
        rows = session.execute(
            sa.select(H).where(H.c.change_seq > seq)).mappings().all()
        fresh = [r['id'] for r in rows if r['attrs_seq'] > seq]
        every = seq < 0 or len(fresh) > _ATTRIBUTES_IN_LIST
        all_traits = _traits(session, None if every else fresh)
        all_metadata = _metadata(session, None if every else fresh)
        deleted = [] if seq < 0 else list(session.scalars(
            sa.select(models.HostTombstone.host_id).where(
                models.HostTombstone.change_seq > seq)))
    newest = max([current] + [r['change_seq'] for r in rows])
    traits = {h: all_traits.get(h, []) for h in fresh}
    metadata = {h: all_metadata.get(h, {}) for h in fresh}
    return Changes(rows, traits, metadata, deleted, newest)


def _traits(session, host_ids):
    T = models.HostTrait
    query = sa.select(T.host_id, T.trait)
    if host_ids is not None:
        if not host_ids:
            return {}
        query = query.where(T.host_id.in_(host_ids))
    traits = {}
    for host_id, trait in session.execute(query):
        traits.setdefault(host_id, []).append(trait)
    return traits


def _metadata(session, host_ids):
    M = models.HostMetadata
    query = sa.select(M.host_id, M.key, M.value)
    if host_ids is not None:
        if not host_ids:
            return {}
        query = query.where(M.host_id.in_(host_ids))
    metadata = {}
    for host_id, key, value in session.execute(query):
        metadata.setdefault(host_id, {})[key] = value
    return metadata
