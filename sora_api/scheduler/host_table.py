"""Every host as columns, so built-in filters and weighers run vectorised.

A ``HostTable`` holds what ``HostState`` holds, one numpy array per numeric
attribute and plain lists for names, zones, traits, metadata, taints and
dedicated projects. Each custom
resource class any host has is five more columns (total, reserved,
allocation ratio, max unit, used; a host without the class has zeros), so
filters and weighers treat it like the standard ones. Built-in
filters answer for all hosts at once with a boolean mask and built-in
weighers with an array; third-party plugins still see ``HostState`` objects,
made only for the hosts that reach them (``host_state``).
"""

import itertools

import numpy as np

from sora_api import capacity
from sora_api import liveness as liveness_rule
from sora_api.scheduler import host_state as host_state_module
from sora_api.scheduler import taints as taints_module

# Integer capacity and usage columns, then the float ratios.
INT_COLUMNS = ('vcpus', 'memory_mb', 'disk_gb', 'reserved_vcpus',
               'reserved_memory_mb', 'reserved_disk_gb', 'vcpus_used',
               'memory_mb_used', 'disk_gb_used', 'instances', 'io_ops')
RATIO_COLUMNS = ('cpu_allocation_ratio', 'ram_allocation_ratio',
                 'disk_allocation_ratio')
USAGE_COLUMNS = ('vcpus_used', 'memory_mb_used', 'disk_gb_used',
                 'instances', 'io_ops')
# What usable capacity is computed from.
CAPACITY_COLUMNS = tuple(c for c in INT_COLUMNS + RATIO_COLUMNS
                         if c not in USAGE_COLUMNS)
# resource -> (total, ratio, reserved, used) columns.
RESOURCES = capacity.STANDARD_COLUMNS
# The columns of one custom class, and their types.
INVENTORY_COLUMNS = {'total': np.int64, 'reserved': np.int64,
                     'allocation_ratio': np.float64, 'max_unit': np.int64,
                     'used': np.int64}


class HostTable:
    """Columns of hosts; row ``i`` of every column is the same host.

    ``up`` is a column the caller sets (liveness needs a clock, which the
    scheduler does not read). Masks of zones, traits and metadata pairs are
    computed once and kept until a host's attributes change.
    """

    def __init__(self):
        self.ids = []
        self.names = []
        self.zones = []
        self.traits = []
        self.metadata = []
        # frozensets of ``taints.Taint``s, and of project ids (empty: the
        # host takes every project).
        self.taints = []
        self.projects = []
        self.enabled = np.zeros(0, dtype=bool)
        self.up = np.zeros(0, dtype=bool)
        for column in INT_COLUMNS:
            setattr(self, column, np.zeros(0, dtype=np.int64))
        for column in RATIO_COLUMNS:
            setattr(self, column, np.zeros(0, dtype=np.float64))
        # Seconds since the epoch of the last heartbeat; NaN: not tracked.
        self.heartbeat = np.zeros(0, dtype=np.float64)
        # custom class -> {column: array}, columns as INVENTORY_COLUMNS
        # plus ``present`` (the host has an inventory of the class).
        self.inventories = {}
        # False: the usage arrays are shared, and ``consume`` copies them.
        self._own_usage = True
        self.changes = ChangeLog()
        # ``(up, cutoff, earliest)`` of ``live_at``.
        self._liveness = None
        self._reindex()

    # -- building -----------------------------------------------------------

    @classmethod
    def from_host_states(cls, hosts):
        table = cls()
        table.append([_state_values(h) for h in hosts])
        table.up = np.array([h.up for h in hosts], dtype=bool)
        return table

    def append(self, rows):
        """Add hosts given as mappings of HostState's attribute names."""
        if not rows:
            return
        self.ids.extend(r['id'] for r in rows)
        self.names.extend(r['name'] for r in rows)
        self.zones.extend(_shared(r['availability_zone']) for r in rows)
        self.traits.extend(_shared(frozenset(r['traits'])) for r in rows)
        self.metadata.extend(_shared_metadata(r['metadata']) for r in rows)
        self.taints.extend(_shared_taints(r.get('taints', ())) for r in rows)
        self.projects.extend(_shared(frozenset(r.get('projects', ())))
                             for r in rows)
        self.enabled = np.concatenate(
            [self.enabled, np.array([bool(r['enabled']) for r in rows])])
        self.up = np.concatenate([self.up, np.ones(len(rows), dtype=bool)])
        self.heartbeat = np.concatenate([self.heartbeat, np.array(
            [r.get('heartbeat', np.nan) for r in rows], dtype=np.float64)])
        for column in INT_COLUMNS + RATIO_COLUMNS:
            old = getattr(self, column)
            new = np.array([r[column] for r in rows], dtype=old.dtype)
            setattr(self, column, np.concatenate([old, new]))
        start = len(self.ids) - len(rows)
        for columns in self.inventories.values():
            for column, old in columns.items():
                columns[column] = np.concatenate(
                    [old, np.zeros(len(rows), dtype=old.dtype)])
        for offset, row in enumerate(rows):
            # New rows start as zeros: only those with classes need setting.
            if row.get('inventories'):
                self._set_inventories(start + offset, row['inventories'])
            # NOTE: only the new rows are indexed: rebuilding both dicts
            # for every batch of new hosts cost 100k hosts ~50 ms a batch.
            self.position[row['id']] = start + offset
            self.name_position[row['name']] = start + offset
        # Every column is a new array: nothing the old log speaks of.
        self.changes = ChangeLog()
        self._liveness = None
        kept, usable, free = self._masks, self._usable, self._free
        self._changed()
        self._extend(kept, start)
        self._extend_amounts(usable, free, start)

    # The object columns ``factorized`` codes, by the key's second part.
    _CODED_COLUMNS = ('ids', 'names', 'zones', 'traits', 'taints',
                      'projects')

    def _extend(self, kept, start):
        """Carry the masks and codes kept before rows ``start:`` were
        appended over to the longer table, computed for the new rows only.

        NOTE: the old rows' attributes did not change: recomputing their
        codes (a Python pass over 100k hosts per coded column, for the
        zones, taints and projects every request reads) cost a request
        that followed a registration ~15 ms. Kept ``spread`` answers are
        dropped: spreading again is one numpy gather.
        """
        for key, value in kept.items():
            if key[0] == 'codes':
                new = self._new_values(key[1:], start)
                if new is None:
                    continue
                codes, distinct, index = value
                index = dict(index)
                added = np.fromiter((index.setdefault(v, len(index))
                                     for v in new), dtype=np.intp,
                                    count=len(self.ids) - start)
                self._masks[key] = (np.concatenate([codes, added]),
                                    list(index), index)
            elif key[0] in ('zone', 'trait', 'metadata'):
                values = self._MASKS[key[0]](self, key[1:], start)
                self._masks[key] = np.concatenate(
                    [value, np.array(values, dtype=bool)])

    def _extend_amounts(self, usable, free, start):
        """Carry the kept usable and free amounts over to the longer table,
        computed for the rows from ``start`` only, by the same arithmetic.
        """
        new = slice(start, None)
        for resource, values in usable.items():
            self._usable[resource] = np.concatenate(
                [values, self._usable_at(resource, new)])
        for (resource, scale), values in free.items():
            self._free[resource, scale] = np.concatenate(
                [values, (self.usable(resource)[new]
                          - self.used(resource)[new]) * scale])

    def _new_values(self, column, start):
        """The values of the rows from ``start`` of a ``factorized``
        column, or None when its key is not one this table knows."""
        if len(column) == 1 and column[0] in self._CODED_COLUMNS:
            return getattr(self, column[0])[start:]
        if len(column) == 2 and column[0] == 'metadata':
            return [m.get(column[1]) for m in self.metadata[start:]]
        return None

    def _changed(self):
        """Forget what was derived from the rows' attributes."""
        # A number no other table nor state of this one had: what was
        # derived from the attributes at another number no longer holds.
        self.generation = next(_GENERATIONS)
        self._masks = {}
        self._usable = {}
        self._free = {}
        self._states = {}

    def _set_inventories(self, i, inventories):
        """Row ``i``'s custom classes become exactly ``inventories``.

        Returns whether its capacity of any class changed (anything but
        ``used``: what usable amounts derive from).
        """
        changed = False
        for name, columns in self.inventories.items():
            if name not in inventories and columns['present'][i]:
                changed = True
                for column in columns.values():
                    column[i] = 0
        for name, inventory in inventories.items():
            columns = self.inventories.get(name)
            if columns is None:
                columns = self.inventories[name] = {
                    column: np.zeros(len(self.ids), dtype=dtype)
                    for column, dtype in dict(INVENTORY_COLUMNS,
                                              present=bool).items()}
            for column in INVENTORY_COLUMNS:
                if columns[column][i] != inventory[column]:
                    columns[column][i] = inventory[column]
                    changed = changed or column != 'used'
            if not columns['present'][i]:
                columns['present'][i] = changed = True
        return changed

    def update(self, rows):
        """Overwrite known hosts and append new ones, in place.

        A row of a known host may leave out ``traits``, ``metadata``,
        ``taints`` and ``projects`` when they did not change.
        """
        fresh = []
        known = []
        beaten = []
        attributes_changed = False
        usable = self._usable
        for row in rows:
            i = self.position.get(row['id'])
            if i is None:
                fresh.append(row)
                continue
            known.append(i)
            traits = frozenset(row.get('traits', self.traits[i]))
            metadata = row.get('metadata', self.metadata[i])
            taints = _shared_taints(row.get('taints', self.taints[i]))
            projects = frozenset(row.get('projects', self.projects[i]))
            if (self.zones[i] != row['availability_zone']
                    or self.traits[i] != traits
                    or self.metadata[i] != metadata
                    or self.taints[i] != taints
                    or self.projects[i] != projects
                    or self.names[i] != row['name']):
                attributes_changed = True
            self.names[i] = row['name']
            self.zones[i] = _shared(row['availability_zone'])
            self.traits[i] = _shared(traits)
            self.metadata[i] = _shared_metadata(metadata)
            self.taints[i] = taints
            self.projects[i] = _shared(projects)
            self.enabled[i] = bool(row['enabled'])
            beat = row.get('heartbeat', np.nan)
            # NaN (not tracked) is no new heartbeat either.
            if beat != self.heartbeat[i] and not (
                    np.isnan(beat) and np.isnan(self.heartbeat[i])):
                self.heartbeat[i] = beat
                beaten.append(i)
            for column in CAPACITY_COLUMNS:
                if getattr(self, column)[i] != row[column]:
                    getattr(self, column)[i] = row[column]
                    self._usable = {}
            for column in USAGE_COLUMNS:
                getattr(self, column)[i] = row[column]
            if ('inventories' in row
                    and self._set_inventories(i, row['inventories'])):
                self._usable = {k: v for k, v in self._usable.items()
                                if k in RESOURCES}
        if self._usable is usable:
            # NOTE: only usage changed (the usual case: claims): patch the
            # changed hosts' free amounts rather than recompute every host's.
            self._patch_free(known)
        else:
            self._free = {}
        self.changes.record(known)
        self._patch_liveness(beaten)
        self._states = {}
        if fresh:
            self.append(fresh)
        if attributes_changed:
            self._reindex()

    def _patch_free(self, rows):
        """Recompute the cached free amounts of these rows only."""
        if not rows:
            return
        # NOTE: one gather per class however many scales are kept (disk is
        # kept in GB and MB); a request patches a row three times (catch-up,
        # hold, release), so this runs per request.
        rows = np.asarray(rows, dtype=np.intp)
        room = {}
        for (resource, scale), free in self._free.items():
            left = room.get(resource)
            if left is None:
                left = room[resource] = (self.usable(resource)[rows]
                                         - self.used(resource)[rows])
            free[rows] = left * scale

    def live_at(self, cutoff):
        """``liveness(self.heartbeat, cutoff)``, kept between calls.

        NOTE: the answer changes only when a heartbeat does (``update``
        patches it) or when the cutoff passes the earliest heartbeat of a
        live host (that host goes down): until then the kept mask is
        exact, and 100k hosts cost no pass. A cutoff earlier than the
        kept one (the clock went back) computes it again. The mask is
        never changed in place: views may hold it.
        """
        kept = self._liveness
        if kept is None or not kept[1] <= cutoff <= kept[2]:
            up = liveness(self.heartbeat, cutoff)
            kept = self._liveness = (up, cutoff,
                                     _earliest(self.heartbeat, up))
        return kept[0]

    def _patch_liveness(self, rows):
        """Rows ``rows`` got new heartbeats: the kept mask follows."""
        if self._liveness is None or not len(rows):
            return
        up, cutoff, earliest = self._liveness
        beats = self.heartbeat[rows]
        patched = liveness(beats, cutoff)
        earliest = min(earliest, _earliest(beats, patched))
        if np.array_equal(up[rows], patched):
            # NOTE: the usual case (a claim, a heartbeat of a live host):
            # the kept mask, which views may hold, stays as it is and no
            # 100k-row copy is made.
            self._liveness = (up, cutoff, earliest)
            return
        up = up.copy()
        up[rows] = patched
        self._liveness = (up, cutoff, earliest)

    def remove(self, ids):
        """Drop the hosts with these ids."""
        gone = {self.position[i] for i in ids if i in self.position}
        if not gone:
            return
        keep = np.array([i not in gone for i in range(len(self.ids))],
                        dtype=bool)
        for name in ('ids', 'names', 'zones', 'traits', 'metadata', 'taints',
                     'projects'):
            values = getattr(self, name)
            setattr(self, name, [v for v, k in zip(values, keep) if k])
        for column in (('enabled', 'up', 'heartbeat') + INT_COLUMNS
                       + RATIO_COLUMNS):
            setattr(self, column, getattr(self, column)[keep])
        for columns in self.inventories.values():
            for column, values in columns.items():
                columns[column] = values[keep]
        self.changes = ChangeLog()
        self._liveness = None
        self._reindex()

    def _reindex(self):
        self.position = {host_id: i for i, host_id in enumerate(self.ids)}
        self.name_position = {name: i for i, name in enumerate(self.names)}
        self._changed()

    def with_own_usage(self):
        """A view whose usage may be consumed without touching this table.

        Every column and cached array is shared until the view first
        consumes; only then are its five usage arrays (and each custom
        class's ``used``) copied, so a view that only reads (a dry run, a
        single instance) costs no copy. A request works on such a view,
        never on the worker's cached table.
        """
        clone = HostTable.__new__(HostTable)
        clone.__dict__.update(self.__dict__)
        clone._own_usage = False
        # NOTE: its own HostStates: the last instance is consumed on one,
        # which must not be the shared table's.
        clone._states = {}
        return clone

    def __len__(self):
        return len(self.ids)

    def all_rows(self):
        """Every position, in order, as the filters give the survivors when
        every host passes; kept (read-only) until hosts are added or
        removed, so a pass that keeps every host allocates nothing.
        """
        # NOTE: kept with the masks, which a view shares with its table:
        # a request's view is a new object each time.
        rows = self._masks.get(('all_rows',))
        if rows is None:
            rows = self._masks[('all_rows',)] = np.arange(len(self.ids),
                                                          dtype=np.intp)
            rows.flags.writeable = False
        return rows

    def owns(self, values):
        """True when ``values`` is one of this table's numeric columns,
        cached free amounts or kept ``spread`` answers: changed in place
        only where ``changes`` says.
        """
        if any(values is free for free in self._free.values()):
            return True
        # Kept spread answers are never changed in place, only replaced.
        if any(values is kept[1] for key, kept in self._masks.items()
               if key[0] == 'spread'):
            return True
        return any(values is self.__dict__[column]
                   for column in INT_COLUMNS + RATIO_COLUMNS)

    # -- what filters and weighers read ------------------------------------

    def usable(self, resource):
        """``capacity.usable`` per host of a v1 field or a class name."""
        resource = capacity.field_of(resource)
        if resource not in self._usable:
            self._usable[resource] = self._usable_at(resource, slice(None))
        return self._usable[resource]

    def _usable_at(self, resource, rows):
        """``capacity.usable`` of ``resource`` (a field or class name) at
        ``rows`` (a slice)."""
        if resource in RESOURCES:
            total, ratio, reserved, _ = (getattr(self, c)[rows]
                                         for c in RESOURCES[resource])
        else:
            columns = self._columns(resource)
            total, ratio, reserved = (columns[c][rows] for c in (
                'total', 'allocation_ratio', 'reserved'))
        return capacity.usable(total, ratio, reserved)

    def free(self, resource, scale=1):
        """Usable minus used, per host, times ``scale`` (kept until usage
        changes, and patched in place where it does: a weigher handing it
        back as it is is then reweighed at the changed rows alone)."""
        key = (capacity.field_of(resource), scale)
        free = self._free.get(key)
        if free is None:
            free = self._free[key] = (self.usable(key[0])
                                      - self.used(key[0])) * scale
        return free

    def used(self, resource):
        resource = capacity.field_of(resource)
        if resource in RESOURCES:
            return getattr(self, RESOURCES[resource][3])
        return self._columns(resource)['used']

    def max_unit(self, name):
        """The most of a custom class one instance may take, per host."""
        return self._columns(name)['max_unit']

    def _columns(self, name):
        """A custom class's columns; zeros when no host has the class."""
        columns = self.inventories.get(name)
        if columns is None:
            columns = {column: np.zeros(len(self.ids), dtype=dtype)
                       for column, dtype in INVENTORY_COLUMNS.items()}
        return columns

    # How ``zone_mask``, ``trait_mask`` and ``metadata_mask`` compute the
    # rows from ``start``, by the key of their kept mask.
    _MASKS = {
        'zone': lambda table, key, start: [
            z == key[0] for z in table.zones[start:]],
        'trait': lambda table, key, start: [
            key[0] in t for t in table.traits[start:]],
        'metadata': lambda table, key, start: [
            m.get(key[0]) == key[1] for m in table.metadata[start:]],
    }

    def zone_mask(self, zone):
        return self._cached(('zone', zone))

    def trait_mask(self, trait):
        return self._cached(('trait', trait))

    def metadata_mask(self, key, value):
        return self._cached(('metadata', key, value))

    def factorized(self, key, values):
        """``(codes, distinct, index)`` of an object column:
        ``distinct[codes[i]]`` is row ``i``'s value and ``index`` maps each
        distinct value to its code; ``values()`` gives them, computed once
        and kept until a host's attributes change, like the masks.
        """
        key = ('codes',) + key
        found = self._masks.get(key)
        if found is None:
            index = {}
            codes = np.fromiter((index.setdefault(v, len(index))
                                 for v in values()),
                                dtype=np.intp, count=len(self.ids))
            found = self._masks[key] = (codes, list(index), index)
        return found

    def derived(self, slot, compute):
        """``compute()``, kept like the masks (until a host's attributes
        change) under ``slot``: for what is derived from them alone."""
        key = ('derived',) + slot
        found = self._masks.get(key)
        if found is None:
            found = self._masks[key] = compute()
        return found

    def spread(self, slot, codes, values):
        """``values[codes]``: each row's value from one value per code (of
        ``factorized``).

        NOTE: the last answer of each ``slot`` is kept, like the masks,
        until a host's attributes change: requests asking the same values
        (most ask alike) then cost no pass over the rows.
        """
        key = ('spread',) + slot
        kept = self._masks.get(key)
        if kept is not None and np.array_equal(kept[0], values):
            return kept[1]
        rows = values[codes] if len(codes) else np.zeros(0, values.dtype)
        self._masks[key] = (values, rows)
        return rows

    def _cached(self, key):
        mask = self._masks.get(key)
        if mask is None:
            mask = self._masks[key] = np.array(
                self._MASKS[key[0]](self, key[1:], 0), dtype=bool)
        return mask

    def rows_of(self, host_ids):
        """Positions of the hosts with these ids (unknown ids are skipped)."""
        return np.array([self.position[h] for h in host_ids
                         if h in self.position], dtype=np.intp)

    def rows_named(self, names):
        return np.array([self.name_position[n] for n in names
                         if n in self.name_position], dtype=np.intp)

    def counts_of(self, counts_by_id):
        """An array of per-host counts from a ``{host_id: count}`` dict."""
        counts = np.zeros(len(self.ids), dtype=np.int64)
        for host_id, count in counts_by_id.items():
            i = self.position.get(host_id)
            if i is not None:
                counts[i] = count
        return counts

    def consume(self, i, spec):
        """Row ``i`` takes one instance of ``spec`` (see HostState.consume).

        Only a view (``with_own_usage``) consumes: a request never changes
        the table a worker shares between requests.
        """
        if not self._own_usage:
            for column in USAGE_COLUMNS:
                setattr(self, column, getattr(self, column).copy())
            self.inventories = {
                name: dict(columns, used=columns['used'].copy())
                for name, columns in self.inventories.items()}
            # NOTE: the cached free amounts are the shared table's arrays
            # (and dict) too: patched below, so copied first.
            self._free = {resource: free.copy()
                          for resource, free in self._free.items()}
            self._own_usage = True
            # Its own arrays now: changes to them are its own too.
            self.changes = ChangeLog()
        self.vcpus_used[i] += spec.vcpus
        self.memory_mb_used[i] += spec.memory_mb
        self.disk_gb_used[i] += spec.disk_gb
        self.instances[i] += 1
        self.io_ops[i] += 1
        for name, amount in spec.custom_resources.items():
            self.inventories[name]['used'][i] += amount
        # NOTE: patched in place: they are this view's own (copied above).
        self._patch_free([i])
        self.changes.record([i])
        self._states.pop(i, None)

    def take_in_place(self, counts, spec, sign=1):
        """Rows ``counts`` (``{row: instances}``) take that many instances
        of ``spec`` in this very table, as their claim would (no
        ``io_ops``); ``sign`` -1 gives them back.

        Only the worker's shared table is changed so, and only for claims
        in flight (``HostCache.hold``), under the manager's table lock:
        no view of it is in use meanwhile.
        """
        rows = sorted(counts)
        for i in rows:
            n = sign * counts[i]
            self.vcpus_used[i] += n * spec.vcpus
            self.memory_mb_used[i] += n * spec.memory_mb
            self.disk_gb_used[i] += n * spec.disk_gb
            self.instances[i] += n
            for name, amount in spec.custom_resources.items():
                columns = self.inventories.get(name)
                if columns is not None:
                    columns['used'][i] += n * amount
            self._states.pop(i, None)
        self._patch_free(rows)
        self.changes.record(rows)

    def consumed(self, counts, spec, io_ops=True):
        """A view in which row ``i`` has taken ``counts[i]`` instances of
        ``spec``, as ``consume`` called that often would leave it.

        Every host at once: what a filter says of the view is what it would
        say of each host after that many instances, so how many fit on each
        host is found without placing them one by one. ``io_ops`` False:
        as claims of separate requests leave it, whose instances add no
        ``io_ops`` (the host reports those).
        """
        counts = np.asarray(counts, dtype=np.int64)
        view = self.with_own_usage()
        view._own_usage = True
        for column, amount in (('vcpus_used', spec.vcpus),
                               ('memory_mb_used', spec.memory_mb),
                               ('disk_gb_used', spec.disk_gb),
                               ('instances', 1), ('io_ops', int(io_ops))):
            setattr(view, column, getattr(self, column) + counts * amount)
        view.inventories = {
            name: dict(columns, used=columns['used']
                       + counts * spec.custom_resources.get(name, 0))
            for name, columns in self.inventories.items()}
        view._free = {}
        return view

    def host_state(self, i):
        """Row ``i`` as a ``HostState``, for plugins and results.

        Built once per row until the row changes, so the per-host filters
        and weighers of one request share it.
        """
        state = self._states.get(i)
        if state is None:
            state = self._states[i] = self._build_state(i)
        return state

    def _build_state(self, i):
        values = {column: int(getattr(self, column)[i])
                  for column in INT_COLUMNS}
        values.update((column, float(getattr(self, column)[i]))
                      for column in RATIO_COLUMNS)
        inventories = {
            name: {column: columns[column][i].item()
                   for column in INVENTORY_COLUMNS}
            for name, columns in self.inventories.items()
            if columns['present'][i]}
        return host_state_module.HostState(
            id=self.ids[i], name=self.names[i],
            availability_zone=self.zones[i], enabled=bool(self.enabled[i]),
            up=bool(self.up[i]), traits=self.traits[i],
            metadata=self.metadata[i], inventories=inventories,
            taints=self.taints[i], projects=self.projects[i], **values)


_GENERATIONS = itertools.count()


class ChangeLog:
    """The rows a table changed in place, numbered, so a reader that saw
    its arrays at one number learns which rows differ now (``since``).

    A table whose arrays are replaced rather than changed (hosts added or
    removed, a view copying its usage) starts a new log: a reader holding
    the old one knows nothing of the new arrays. Only the last
    ``KEEP`` changes are kept; an older number gets None (unknown).
    """

    KEEP = 64

    def __init__(self):
        self.number = 0
        self._entries = []

    def record(self, rows):
        if not len(rows):
            return
        self.number += 1
        self._entries.append((self.number, rows))
        if len(self._entries) > self.KEEP:
            del self._entries[0]

    def since(self, number):
        """Sorted positions changed after ``number``, or None if
        forgotten."""
        if number == self.number:
            return np.zeros(0, dtype=np.intp)
        # The entries are numbered one after another up to ``self.number``:
        # the newer ones are the last few, found without a look at the rest.
        missing = self.number - number
        if not 0 < missing <= len(self._entries):
            return None
        return np.unique(np.concatenate(
            [np.asarray(rows, dtype=np.intp)
             for _, rows in self._entries[-missing:]]))


# NOTE: most hosts share their zone, traits and metadata with many others;
# one object per distinct value keeps 100k hosts in far less memory. The
# table never changes these objects, it only replaces them.
_SHARED = {}
_SHARED_LIMIT = 100000


def _shared(value):
    """The one kept object equal to ``value`` (hashable)."""
    if len(_SHARED) >= _SHARED_LIMIT:
        _SHARED.clear()
    return _SHARED.setdefault(value, value)


def _shared_metadata(metadata):
    return _shared(_FrozenMetadata(metadata))


def _shared_taints(taints):
    return _shared(frozenset(taints_module.taint_of(t) for t in taints))


class _FrozenMetadata(dict):
    """A metadata dict that is hashable, so equal ones can be shared."""

    __slots__ = ('_hash',)

    def __init__(self, items):
        super().__init__(items)
        self._hash = hash(frozenset(self.items()))

    def __hash__(self):
        return self._hash


def as_table(hosts):
    """``hosts`` as a ``HostTable`` (a list of HostStates is converted)."""
    if isinstance(hosts, HostTable):
        return hosts
    return HostTable.from_host_states(list(hosts))


def _state_values(host):
    values = {column: getattr(host, column)
              for column in INT_COLUMNS + RATIO_COLUMNS}
    values.update(id=host.id, name=host.name, enabled=host.enabled,
                  availability_zone=host.availability_zone,
                  traits=host.traits, metadata=host.metadata,
                  inventories=host.inventories, taints=host.taints,
                  projects=host.projects)
    return values


def _earliest(heartbeats, up):
    """The earliest heartbeat of the live hosts (+inf: none tracked)."""
    beats = heartbeats[up]
    beats = beats[~np.isnan(beats)]
    return float(beats.min()) if len(beats) else np.inf


def liveness(last_heartbeats, cutoff):
    """``up`` per host from heartbeat times (seconds; NaN = not tracked)."""
    return liveness_rule.up(np.asarray(last_heartbeats, dtype=np.float64),
                            cutoff)

