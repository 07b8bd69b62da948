"""Queries and writes of host records."""

import types
import uuid

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from sora_api import capacity
from sora_api import exception
from sora_api import liveness
from sora_api import timeutils
from sora_api.db import compiled
from sora_api.db import counter_changes
from sora_api.db import counters
from sora_api.db import engine
from sora_api.db import events
from sora_api.db import models
from sora_api.db import resource_classes
from sora_api.db import xid_changes

H = models.Host.__table__
T = models.HostTrait.__table__
M = models.HostMetadata.__table__
TAINTS = models.HostTaint.__table__
PROJECTS = models.HostProject.__table__
INV = models.Inventory.__table__
# An inventory's fields as written; ``used`` is only ever changed by claims.
INVENTORY_FIELDS = ('total', 'reserved', 'allocation_ratio', 'max_unit')


class HostRecord(types.SimpleNamespace):
    """A host row's columns as attributes, with ``traits`` (a sorted list),
    ``metadata`` (a dict), ``inventories`` (custom class -> its
    ``total``, ``reserved``, ``allocation_ratio``, ``max_unit``, ``used``),
    ``taints`` (``{"key", "value", "effect"}`` mappings, by key and effect)
    and ``projects`` (a sorted list)."""


def _record(row, traits, metadata, inventories, taints=(), projects=()):
    return HostRecord(**dict(row), traits=sorted(traits),
                      metadata=dict(metadata),
                      inventories=dict(sorted(inventories.items())),
                      taints=_sorted_taints(taints),
                      projects=sorted(projects))


def _sorted_taints(taints):
    """Taints as mappings with every field (``value`` default empty), by
    key and effect."""
    return sorted(({'key': t['key'], 'value': t.get('value', ''),
                    'effect': t['effect']} for t in taints),
                  key=lambda t: (t['key'], t['effect']))


def _taint_rows(host_id, taints):
    return [{'host_id': host_id, 'key': t['key'], 'effect': t['effect'],
             'value': t.get('value', '')} for t in taints]


def _project_rows(host_id, projects):
    return [{'host_id': host_id, 'project_id': p} for p in sorted(projects)]


def _inventory_rows(host_id, inventories):
    return [dict(inventory, host_id=host_id, resource_class=name, used=0)
            for name, inventory in sorted(inventories.items())]


def _write_attributes(conn, host_id, traits=None, metadata=None,
                      taints=None, projects=None):
    """Replace the traits, metadata, taints and projects (those not None)
    of a host."""
    if traits is not None:
        conn.execute(sa.delete(T).where(T.c.host_id == host_id))
        if traits:
            conn.execute(sa.insert(T), [{'host_id': host_id, 'trait': t}
                                        for t in sorted(set(traits))])
    if metadata is not None:
        conn.execute(sa.delete(M).where(M.c.host_id == host_id))
        if metadata:
            conn.execute(sa.insert(M), [
                {'host_id': host_id, 'key': k, 'value': v}
                for k, v in sorted(metadata.items())])
    for table, values, rows in ((TAINTS, taints, _taint_rows),
                                (PROJECTS, projects, _project_rows)):
        if values is not None:
            conn.execute(sa.delete(table).where(table.c.host_id == host_id))
            if values:
                conn.execute(sa.insert(table), rows(host_id, values))


def create(db, values):
    """Insert a host; ``values`` are validated fields with defaults filled."""
    return create_many(db, [values])[0]


@engine.retry_on_deadlock
def create_many(db, hosts):
    """Insert hosts in one transaction: all of them, or none (409)."""
    now = timeutils.utcnow()
    rows, traits, metadata, inventories = [], [], [], []
    taints, projects = [], []
    for values in hosts:
        values = dict(values)
        row = dict({'last_heartbeat': None, 'reserved_vcpus': 0,
                    'reserved_memory_mb': 0, 'reserved_disk_gb': 0,
                    'io_ops': 0, 'disabled_reason': None},
                   **values, id=str(uuid.uuid4()), generation=1,
                   vcpus_used=0, memory_mb_used=0, disk_gb_used=0,
                   instances=0, created_at=now, updated_at=now)
        traits.append(sorted(set(row.pop('traits', []))))
        metadata.append(row.pop('metadata', {}))
        inventories.append(row.pop('inventories', {}))
        taints.append(_sorted_taints(row.pop('taints', [])))
        projects.append(sorted(row.pop('projects', [])))
        row['custom_inventories'] = len(inventories[-1])
        rows.append(row)
    try:
        with db.connection(writer=True) as conn:
            resource_classes.check_exist(
                conn, {c for i in inventories for c in i}, 'inventories')
            conn.execute(sa.insert(H), rows)
            inventory_rows = [r for row, i in zip(rows, inventories)
                              for r in _inventory_rows(row['id'], i)]
            if inventory_rows:
                conn.execute(sa.insert(INV), inventory_rows)
            trait_rows = [{'host_id': r['id'], 'trait': t}
                          for r, ts in zip(rows, traits) for t in ts]
            if trait_rows:
                conn.execute(sa.insert(T), trait_rows)
            metadata_rows = [{'host_id': r['id'], 'key': k, 'value': v}
                             for r, m in zip(rows, metadata)
                             for k, v in sorted(m.items())]
            if metadata_rows:
                conn.execute(sa.insert(M), metadata_rows)
            for table, values, to_rows in ((TAINTS, taints, _taint_rows),
                                           (PROJECTS, projects,
                                            _project_rows)):
                value_rows = [r for row, v in zip(rows, values)
                              for r in to_rows(row['id'], v)]
                if value_rows:
                    conn.execute(sa.insert(table), value_rows)
            mark_changed(conn, [r['id'] for r in rows], attributes=True)
            events.hosts(conn, 'host.created', [r['id'] for r in rows])
    except sa_exc.IntegrityError as e:
        _raise_integrity(e, inventories)
        raise exception.HostNameExists(
            name=_taken_name(db, [r['name'] for r in rows])) from None
    return [_record(r, t, m, {c: dict(v, used=0) for c, v in i.items()},
                    ta, p)
            for r, t, m, i, ta, p in zip(rows, traits, metadata, inventories,
                                         taints, projects)]


def _raise_integrity(error, inventories):
    """A class deleted while a host wrote an inventory of it is a 400."""
    if any(inventories) and 'foreign' in str(error.orig).lower():
        raise exception.UnknownResourceClass(
            field='inventories', name=', '.join(sorted(
                {c for i in inventories for c in i}))) from None


def _taken_name(db, names):
    """The first of ``names`` already used (or repeated), for the error."""
    seen = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    with db.connection() as conn:
        taken = conn.scalars(sa.select(H.c.name).where(
            H.c.name.in_(names)).limit(1)).first()
    return taken or ', '.join(names[:3])


class IdRange:
    """Every host whose id is from ``first`` to ``last``, both included."""

    def __init__(self, first, last):
        self.first, self.last = first, last


def _records(conn, rows, every_between=False):
    """``HostRecord``s of host rows, their traits, metadata, inventories,
    taints and projects read at once.

    ``every_between``: the rows are every host from the first one's id to
    the last one's (a page of an unfiltered list, in id order), so their
    attributes are read by that range: for a page of 1,000 hosts each read
    costs a tenth of one by a list of 1,000 ids.
    """
    ids = [r.id for r in rows]
    stocked = [r.id for r in rows if r.custom_inventories]
    if every_between and rows:
        ids = IdRange(ids[0], ids[-1])
        stocked = ids if stocked else []
    traits = _traits(conn, ids)
    metadata = _metadata(conn, ids)
    inventories = _inventories(conn, stocked)
    taints = _taints(conn, ids)
    projects = _projects(conn, ids)
    return [_record(r._mapping, traits.get(r.id, []), metadata.get(r.id, {}),
                    inventories.get(r.id, {}), taints.get(r.id, []),
                    projects.get(r.id, []))
            for r in rows]


def get(db, host_id):
    with db.connection() as conn:
        row = conn.execute(sa.select(H).where(H.c.id == host_id)).first()
        if row is None:
            raise exception.HostNotFound(host_id=host_id)
        return _records(conn, [row])[0]


def list_hosts(db, limit, marker=None, name=None, availability_zone=None,
               enabled=None, status=None, traits=(), now=None,
               service_down_time=None):
    """A page of hosts ordered by id, after the host ``marker``."""
    query = sa.select(H).order_by(H.c.id).limit(limit)
    if name is not None:
        query = query.where(H.c.name == name)
    if availability_zone is not None:
        query = query.where(H.c.availability_zone == availability_zone)
    if enabled is not None:
        query = query.where(H.c.enabled == enabled)
    if status is not None:
        is_up = liveness.up(H.c.last_heartbeat,
                            liveness.down_cutoff(now, service_down_time))
        query = query.where(sa.not_(is_up) if status == 'down' else is_up)
    for trait in traits:
        query = query.where(sa.exists().where(
            T.c.host_id == H.c.id, T.c.trait == trait))
    with db.connection() as conn:
        if marker is not None:
            if conn.execute(sa.select(H.c.id).where(
                    H.c.id == marker)).first() is None:
                raise exception.MarkerNotFound(marker=marker)
            query = query.where(H.c.id > marker)
        unfiltered = (name is None and availability_zone is None
                      and enabled is None and status is None and not traits)
        return _records(conn, conn.execute(query).all(),
                        every_between=unfiltered)


@engine.retry_on_deadlock
def update(db, host_id, values, allowed_generations=None):
    """Apply a partial update; refuse one that strands live allocations.

    ``allowed_generations`` (from ``If-Match``) makes the update conditional
    on the host still being at one of those generations.
    """
    values = dict(values)
    traits = values.pop('traits', None)
    metadata = values.pop('metadata', None)
    inventories = values.pop('inventories', None)
    taints = values.pop('taints', None)
    projects = values.pop('projects', None)
    try:
        with db.connection(writer=True) as conn:
            row = conn.execute(sa.select(H).where(H.c.id == host_id)
                               .with_for_update()).first()
            if row is None:
                raise exception.HostNotFound(host_id=host_id)
            if (allowed_generations is not None
                    and row.generation not in allowed_generations):
                raise exception.GenerationConflict(
                    host_id=host_id, actual=row.generation,
                    expected=', '.join(map(str, sorted(allowed_generations)))
                    or 'none')
            host = dict(row._mapping, **values)
            for resource, fields in capacity.STANDARD_COLUMNS.items():
                total, ratio, reserved, used = (host[f] for f in fields)
                _check_room(host_id, resource, used,
                            capacity.usable(total, ratio, reserved))
            if inventories:
                values['custom_inventories'] = _write_inventories(
                    conn, host_id, inventories)
            values.update(generation=row.generation + 1,
                          updated_at=timeutils.utcnow())
            conn.execute(sa.update(H).where(H.c.id == host_id)
                         .values(values))
            _write_attributes(conn, host_id, traits, metadata, taints,
                              projects)
            mark_changed(conn, [host_id], attributes=True)
            events.hosts(conn, 'host.updated', [host_id])
            return _records(conn, [conn.execute(
                sa.select(H).where(H.c.id == host_id)).first()])[0]
    except sa_exc.IntegrityError as e:
        _raise_integrity(e, [inventories or {}])
        raise exception.HostNameExists(name=values.get('name')) from None


def _check_room(host_id, resource, used, usable):
    """Refuse capacity that would leave a resource below what is in use."""
    if used and usable < used:
        raise exception.HostInUse(
            host_id=host_id, reason='usable %s would be %g, below the %d in '
                                    'use' % (resource, usable, used))


def _write_inventories(conn, host_id, inventories):
    """Replace the given classes' inventories (None removes one).

    Returns how many custom inventories the host then has.
    """
    resource_classes.check_exist(
        conn, [c for c, v in inventories.items() if v is not None],
        'inventories')
    current = {r.resource_class: r for r in conn.execute(
        sa.select(INV).where(INV.c.host_id == host_id))}
    for name, inventory in sorted(inventories.items()):
        old = current.get(name)
        where = (INV.c.host_id == host_id, INV.c.resource_class == name)
        if inventory is None:
            if old is not None:
                _check_room(host_id, name, old.used, 0)
                conn.execute(sa.delete(INV).where(*where))
                del current[name]
        elif old is None:
            conn.execute(sa.insert(INV), _inventory_rows(
                host_id, {name: inventory}))
            current[name] = inventory
        else:
            _check_room(host_id, name, old.used, capacity.usable(
                inventory['total'], inventory['allocation_ratio'],
                inventory['reserved']))
            conn.execute(sa.update(INV).where(*where).values(inventory))
    return len(current)


@engine.retry_on_deadlock
def delete(db, host_id):
    with db.connection(writer=True) as conn:
        row = conn.execute(sa.select(H.c.instances).where(
            H.c.id == host_id).with_for_update()).first()
        if row is None:
            raise exception.HostNotFound(host_id=host_id)
        if row.instances:
            raise exception.HostInUse(
                host_id=host_id,
                reason='%d instances are allocated on it' % row.instances)
        conn.execute(sa.delete(H).where(H.c.id == host_id))
        if by_xid(conn):
            # The trigger stamps the tombstone's transaction id.
            conn.execute(_TOMBSTONE, {'host_id': host_id, 'change_seq': 0})
            events.hosts(conn, 'host.deleted', [host_id])
            return
        seq = next_change(conn)
        conn.execute(_TOMBSTONE, {'host_id': host_id, 'change_seq': seq})
        conn.execute(_NOTE_DELETION, {'deletion': seq})
        events.hosts(conn, 'host.deleted', [host_id])


@engine.retry_on_deadlock
def heartbeat(db, host_id, io_ops=None):
    values = {'last_heartbeat': timeutils.utcnow(),
              'updated_at': timeutils.utcnow(),
              'generation': models.Host.generation + 1}
    if io_ops is not None:
        values['io_ops'] = io_ops
    with db.connection(writer=True) as conn:
        if not by_xid(conn):
            values['change_seq'] = next_change(conn)
        result = conn.execute(
            sa.update(models.Host).where(models.Host.id == host_id)
            .values(**values))
        if result.rowcount == 0:
            raise exception.HostNotFound(host_id=host_id)
        events.heartbeat(conn, host_id)


# The statements of every request, built once (SQLAlchemy then compiles
# each once, too).
_COUNTER = models.HostChanges.__table__
_NOTE_DELETION = sa.update(_COUNTER).where(_COUNTER.c.id == 1).values(
    deleted_seq=sa.bindparam('deletion'))
_STAMP = sa.update(H).where(H.c.id.in_(sa.bindparam('ids', expanding=True)))
_STAMP_USAGE = _STAMP.values(change_seq=sa.bindparam('seq'))
_STAMP_ALL = _STAMP.values(change_seq=sa.bindparam('seq'),
                           attrs_seq=sa.bindparam('seq'))
_STAMP_ATTRS_XID = _STAMP.values(attrs_xid=sa.func.txid_current())
# A claim's usual stamp: one host, its usage (sent as driver SQL,
# ``compiled``, which an expanding IN cannot be).
_STAMP_ONE_USAGE = sa.update(H).where(
    H.c.id == sa.bindparam('host_id')).values(change_seq=sa.bindparam('seq'))
_TOMBSTONE = sa.insert(models.HostTombstone.__table__)


def next_change(conn):
    """Take the next host-change number, in this writing transaction
    (``counters.take``)."""
    return counters.take(conn, _COUNTER)


def by_xid(conn):
    """True where host changes are read by transaction id (PostgreSQL).

    There, every writer would otherwise queue on the one counter row until
    the previous one commits; ``[database] legacy_host_change_counter``
    keeps the counter too, for servers of an earlier release.
    """
    return (conn.dialect.name == 'postgresql'
            and not conn.get_execution_options().get('sora_legacy_counter'))


def mark_changed(conn, host_ids, attributes=False):
    """Stamp hosts with a new change number (``attributes``: not just usage).

    Call it last in the transaction that changed them. On PostgreSQL the
    rows' own UPDATE already stamped them (a trigger); only a change of
    traits or metadata, which live in other tables, is marked here.
    Returns the change's number (None on PostgreSQL: ``cursor_after``).
    """
    if by_xid(conn):
        if attributes:
            conn.execute(_STAMP_ATTRS_XID, {'ids': list(host_ids)})
        return None
    seq = next_change(conn)
    if len(host_ids) == 1 and not attributes:
        compiled.execute(conn, _STAMP_ONE_USAGE,
                         {'host_id': next(iter(host_ids)), 'seq': seq})
        return seq
    conn.execute(_STAMP_ALL if attributes else _STAMP_USAGE,
                 {'ids': list(host_ids), 'seq': seq})
    return seq


def cursor_after(db, cursor, number, host_id):
    """``changes_since``'s cursor past the change ``number`` (a
    ``mark_changed`` of ``host_id`` among others), when that change is the
    one after ``cursor``: a reader that applied it itself has nothing left
    to read. None otherwise, and on PostgreSQL, whose readers follow
    transaction ids, not these numbers.
    """
    if db.is_postgresql:
        return None
    return counter_changes.cursor_after(cursor, number, host_id)


class Changes:
    """What changed among the hosts since a reader's cursor.

    ``reload``: every host is in ``rows`` and the reader must drop what it
    held (a first read, or the database is not the one it read before).
    """

    def __init__(self, rows, traits, metadata, deleted, seq,
                 inventories=None, reload=False, taints=None, projects=None):
        self.rows = rows
        self.traits = traits
        self.metadata = metadata
        self.taints = taints or {}
        self.projects = projects or {}
        self.deleted = deleted
        self.seq = seq
        self.inventories = inventories or {}
        self.reload = reload


# Past this many hosts with new attributes, read every trait and metadata
# row rather than a long IN list.
_ATTRIBUTES_IN_LIST = 500


def changes_since(db, seq):
    """Hosts changed after cursor ``seq`` (-1: all), or None.

    ``Changes.rows`` are host rows as mappings; ``traits`` and
    ``metadata`` (and ``taints``, ``projects``) map the id of every host
    whose attributes changed (and only those) to its traits and metadata
    (taints, projects); ``inventories`` maps the id of every
    changed host that has custom inventories, or whose attributes changed,
    to its inventories; ``deleted`` lists deleted host ids; ``seq`` is the
    cursor to ask with next time.
    """
    if db.is_postgresql and seq != -1:
        with db.connection(autocommit=True) as conn:
            found = xid_changes.read_since(conn, seq)
            if found is None:
                return None
            if found is not xid_changes.RELOAD:
                return _changes(conn, *found)
    # NOTE: on SQLite and MariaDB the counter's reads must share one
    # snapshot (a transaction); a full read on PostgreSQL streams, which
    # needs one too.
    with db.connection() as conn:
        if db.is_postgresql:
            return _changes(conn, *xid_changes.read_all(conn))
        found = counter_changes.read(conn, seq)
        if found is None:
            return None
        return _changes(conn, *found)


def _changes(conn, rows, fresh, deleted, cursor, reload):
    """``Changes`` of what a reader found, attributes read on ``conn``."""
    every = reload or len(fresh) > _ATTRIBUTES_IN_LIST
    all_traits = _traits(conn, None if every else fresh)
    all_metadata = _metadata(conn, None if every else fresh)
    all_taints = _taints(conn, None if every else fresh)
    all_projects = _projects(conn, None if every else fresh)
    changed_attributes = set(fresh)
    stocked = [r['id'] for r in rows if r['custom_inventories']
               or r['id'] in changed_attributes]
    inventories = _inventories(conn, None if (
        every or len(stocked) > _ATTRIBUTES_IN_LIST) else stocked)
    traits = {h: all_traits.get(h, []) for h in fresh}
    metadata = {h: all_metadata.get(h, {}) for h in fresh}
    inventories = {h: inventories.get(h, {}) for h in stocked}
    return Changes(rows, traits, metadata, deleted, cursor, inventories,
                   reload, taints={h: all_taints.get(h, []) for h in fresh},
                   projects={h: all_projects.get(h, []) for h in fresh})


def _per_host(conn, table, columns, host_ids):
    """``{host_id: [row of ``columns``, ...]}`` of an attribute table;
    ``host_ids`` None: every host; an ``IdRange``: those."""
    if host_ids is not None and not isinstance(host_ids, IdRange) and (
            not host_ids):
        # The usual catch-up: hosts whose usage alone changed.
        return {}
    query = sa.select(table.c.host_id, *(table.c[c] for c in columns))
    if isinstance(host_ids, IdRange):
        query = query.where(table.c.host_id.between(host_ids.first,
                                                    host_ids.last))
    elif host_ids is not None:
        query = query.where(table.c.host_id.in_(host_ids))
    found = {}
    for host_id, *values in conn.execute(query):
        found.setdefault(host_id, []).append(values)
    return found


def _traits(conn, host_ids):
    """``{host_id: [trait, ...]}``; None: all hosts."""
    return {host_id: [trait for trait, in rows] for host_id, rows in
            _per_host(conn, T, ('trait',), host_ids).items()}


def _metadata(conn, host_ids):
    """``{host_id: {key: value}}``; None: all hosts."""
    return {host_id: dict(rows) for host_id, rows in
            _per_host(conn, M, ('key', 'value'), host_ids).items()}


def _taints(conn, host_ids):
    """``{host_id: [{"key", "value", "effect"}, ...]}``; None: all hosts."""
    fields = ('key', 'value', 'effect')
    return {host_id: [dict(zip(fields, row)) for row in rows]
            for host_id, rows in
            _per_host(conn, TAINTS, fields, host_ids).items()}


def _projects(conn, host_ids):
    """``{host_id: [project id, ...]}``; None: all hosts."""
    return {host_id: [project for project, in rows] for host_id, rows in
            _per_host(conn, PROJECTS, ('project_id',), host_ids).items()}


_INVENTORY_COLUMNS = (INV.c.host_id, INV.c.resource_class) + tuple(
    INV.c[f] for f in INVENTORY_FIELDS + ('used',))
_ALL_INVENTORIES = sa.select(*_INVENTORY_COLUMNS)
_INVENTORIES_OF = _ALL_INVENTORIES.where(
    INV.c.host_id.in_(sa.bindparam('ids', expanding=True)))
_INVENTORIES_BETWEEN = _ALL_INVENTORIES.where(
    INV.c.host_id.between(sa.bindparam('first'), sa.bindparam('last')))


def _inventories(conn, host_ids):
    """``{host_id: {class: {total, reserved, ..., used}}}``; None: all;
    an ``IdRange``: those."""
    if host_ids is None:
        rows = conn.execute(_ALL_INVENTORIES)
    elif isinstance(host_ids, IdRange):
        rows = conn.execute(_INVENTORIES_BETWEEN, {
            'first': host_ids.first, 'last': host_ids.last})
    elif not host_ids:
        return {}
    else:
        rows = conn.execute(_INVENTORIES_OF, {'ids': list(host_ids)})
    inventories = {}
    fields = INVENTORY_FIELDS + ('used',)
    for host_id, name, *values in rows:
        inventories.setdefault(host_id, {})[name] = dict(zip(fields, values))
    return inventories
