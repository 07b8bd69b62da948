"""A worker's ``HostTable``, kept current by reading only what changed.

Loading every host for every request does not scale (100k rows take a
second); instead each worker keeps a table and, before each use, asks the
database for the hosts changed since the last host-change number it saw
(``host_changes.seq``, handed out in commit order). An idle database costs
one tiny query; a busy one, the few rows other requests just claimed on.

The table may still lag a concurrent claim by a moment; that is safe,
because the claim itself is decided by the database, and a lost claim makes
the manager place the request again on a fresher table. Requests never
change the table (they consume on a view of it), so a claim that fails
after its host was chosen leaves nothing behind; only the database's
changes do. A database that is not the one read before (another identity,
a counter that went back: a backup restored under running servers) is
read again in full.
"""

from sora_api.scheduler import host_table


class HostCache:
    """Holds a ``HostTable`` and applies the changes ``fetch`` returns.

    ``fetch(seq)`` returns None when nothing changed after ``seq``, else an
    object with ``rows`` (table rows of new or changed hosts; ``traits`` and
    ``metadata`` only where they changed), ``deleted`` (ids), ``seq``
    (the cursor to ask with next) and ``reload`` (true: ``rows`` are every
    host, and what the table held before is gone: the database is new, or
    was restored). ``seq`` -1 asks for every host.
    """

    def __init__(self, fetch):
        self._fetch = fetch
        self._table = host_table.HostTable()
        self._seq = -1

    def table(self):
        """The current table, after catching up with the database."""
        changes = self._fetch(self._seq)
        if changes is not None:
            if changes.reload:
                self._table = host_table.HostTable()
            self._table.update(changes.rows)
            self._table.remove(changes.deleted)
            self._seq = changes.seq
        return self._table
