"""A worker's ``HostTable``, kept current by reading only what changed.

Loading every host for every request does not scale (100k rows take a
second); instead each worker keeps a table and, before each use, asks the
database for the hosts changed since the last host-change number it saw
(``host_changes.seq``, handed out in commit order). An idle database costs
one tiny query; a busy one, the few rows other requests just claimed on.

The table may still lag a concurrent claim by a moment; that is safe,
because the claim itself is decided by the database, and a lost claim makes
the manager place the request again on a fresher table. Requests consume
on a view of the table; the one thing they add to the table itself is
their claim while it is in flight (``hold``), as Nova's scheduler counts
an instance on its host state as soon as it picks the host: concurrent
requests of the worker then see that room as taken and pick other hosts,
rather than all queueing on the best host's row in the database. A hold
is given back when its claim ends, whichever way, so a claim that fails
leaves nothing behind; only the database's changes do. A database that
is not the one read before (another identity, a counter that went back: a
backup restored under running servers) is read again in full.
"""

import collections
import itertools
import threading

from sora_api import memory
from sora_api.scheduler import host_table

# A catch-up that read at least this many hosts gives the memory its rows
# took back to the system once they are applied (``memory.trim``).
TRIM_AFTER_ROWS = 5000


class HostCache:
    """Holds a ``HostTable`` and applies the changes ``fetch`` returns.

    ``fetch(seq)`` returns None when nothing changed after ``seq``, else an
    object with ``rows`` (table rows of new or changed hosts; ``traits`` and
    ``metadata`` only where they changed), ``deleted`` (ids), ``seq``
    (the cursor to ask with next) and ``reload`` (true: ``rows`` are every
    host, and what the table held before is gone: the database is new, or
    was restored). ``seq`` -1 asks for every host.

    ``advance(seq, number, host_id)`` returns the cursor past the change
    ``number`` (of ``host_id``, among others) if it is the one change after
    ``seq``, else None: see ``release``.
    """

    def __init__(self, fetch, trim=memory.trim, advance=None):
        self._fetch = fetch
        self._advance = advance
        self._trim = trim
        self._table = host_table.HostTable()
        self._seq = -1
        self._catching_up = threading.Lock()
        # hold number -> ({host_id: instances}, spec) of claims in flight.
        self._holds = {}
        self._numbers = itertools.count()

    def table(self, own_read=False):
        """The current table, after catching up with the database.

        One catch-up at a time: a request that arrives while another one
        is reading waits for it and takes what it read, unless it asks for
        ``own_read`` (a claim just lost a race: what was read before the
        winner committed would only lose it again).
        """
        # NOTE: without this, the burst of requests that follows a quiet
        # spell (or a bulk registration) all read the same thousands of
        # rows at once, each on its own pooled connection; on PostgreSQL
        # libpq keeps each connection's receive buffer at the size of the
        # largest result it got, so a worker grew by about 12 MB per
        # connection at 10k hosts (docs/postgresql.md, "Memory per
        # worker"). A table read a moment ago is as good: the claim is
        # decided by the database, and a lost one catches up again.
        if not self._catching_up.acquire(blocking=own_read):
            with self._catching_up:
                return self._table
        read = 0
        try:
            changes = self._fetch(self._seq)
            if changes is not None:
                if changes.reload:
                    self._table = host_table.HostTable()
                self._table.update(changes.rows)
                self._table.remove(changes.deleted)
                self._seq = changes.seq
                # The rows read carry the database's usage: the claims
                # still in flight on them are counted again on top.
                read_ids = {row['id'] for row in changes.rows}
                for counts, spec in self._holds.values():
                    self._apply({h: n for h, n in counts.items()
                                 if h in read_ids}, spec, 1)
                read = len(changes.rows)
        finally:
            self._catching_up.release()
        if read >= TRIM_AFTER_ROWS:
            # NOTE: reading 100k hosts at once grew a process by 222 MB
            # for good (glibc keeps the freed heap); trimmed, by 120 MB.
            del changes
            self._trim()
        return self._table

    def hold(self, host_ids, spec):
        """Count one instance of ``spec`` on each of ``host_ids`` (a host
        as often as it appears) in the table until ``release``: a claim in
        flight. Returns the hold's number.

        Called under the manager's table lock, like ``release``.
        """
        number = next(self._numbers)
        counts = collections.Counter(host_ids)
        self._holds[number] = (counts, spec)
        self._apply(counts, spec, 1)
        return number

    def holding(self):
        """The numbers of the holds in flight (claims not ended yet)."""
        return frozenset(self._holds)

    def release(self, number, change=None):
        """Give back what hold ``number`` counted: its claim has ended.

        ``change``: the number of the host change the claim committed, when
        it stored exactly what the hold counts (a new schedule's). If that
        is the one change after what the table holds, the table with the
        hold is the database as it now is: the hold stays, as the change
        itself, and the next catch-up has nothing to read for it.
        """
        counts, spec = self._holds.pop(number)
        if (change is not None and self._advance is not None
                and self._catching_up.acquire(blocking=False)):
            # NOTE: not while a catch-up reads: it may have read before
            # the change, and would then set the cursor back before it.
            try:
                seq = self._advance(self._seq, change, next(iter(counts)))
                if seq is not None:
                    self._seq = seq
                    return
            finally:
                self._catching_up.release()
        self._apply(counts, spec, -1)

    def _apply(self, counts, spec, sign):
        """``counts`` (``{host_id: instances}``) of ``spec`` taken
        (``sign`` 1) or given back (-1) on the hosts still in the table."""
        position = self._table.position
        rows = {position[h]: n for h, n in counts.items() if h in position}
        if rows:
            self._table.take_in_place(rows, spec, sign)
