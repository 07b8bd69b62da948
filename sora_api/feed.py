"""One process's view of the change feed: long polls, liveness, retention.

Waiting clients share one look at the event counter per ``[events]
poll_interval``; between looks they sleep without a database connection
(``time.sleep``, green under eventlet). New events are read once per look
into a tail kept in memory, from which every waiter picks its own, so a
thousand waiters cost one query per interval, not a thousand; and only the
waiters that may see one of the new events are woken, so a thousand
watching another project cost nothing while the fleet changes. A long poll
starts from the last look rather than a read of its own, and a waiter whose
time runs out unwoken answers without looking: the polls such clients renew
all the time cost no query. The liveness check and the pruning run at most
once per interval, whoever reads the feed first.
"""

import bisect
import collections
import threading
import time

from sora_api.db import events as db_events

# Seconds between two prunings by one process: retention is coarse.
_PRUNE_INTERVAL = 60
# Events one process keeps in memory for its waiting clients.
_TAIL_SIZE = 10000


class _Tail:
    """The newest events, every number in ``(start, end]``, in order.

    It also remembers what callers found before it: ``quiet[project]`` is a
    number from which that project (None: an admin, who sees every event)
    may see no event up to ``start``. A member sees few of the events, and
    an answer with none keeps its ``since`` (the contract): without this,
    each of its polls would search the database again from that old
    number.
    """

    def __init__(self, end):
        self.start = self.end = end
        self.ids = []
        self.rows = []
        # The newest event here of each project (None: of the hosts).
        self.newest = {}
        self.quiet = {}

    def extend(self, rows, end):
        """Append the events numbered ``(self.end, end]``."""
        self.rows.extend(rows)
        self.ids.extend(row['id'] for row in rows)
        for row in rows:
            self.newest[row['project_id']] = row['id']
        self.end = end
        excess = len(self.rows) - _TAIL_SIZE
        if excess > 0:
            gone = {row['project_id'] for row in self.rows[:excess]}
            self.start = self.ids[excess - 1]
            del self.rows[:excess]
            del self.ids[:excess]
            # What left the tail is known quiet only for the others.
            self.quiet.pop(None, None)
            for project in gone:
                self.quiet.pop(project, None)
                if self.newest[project] <= self.start:
                    del self.newest[project]

    def projects(self, since):
        """The projects of the events numbered ``since`` or more (None for
        host events)."""
        return {row['project_id'] for row in
                self.rows[bisect.bisect_left(self.ids, since):]}

    def covers(self, since):
        return since > self.start

    def knows(self, since, project_id):
        """Whether the events ``project_id`` may see from ``since`` are
        all here."""
        return since > self.start or self.quiet.get(
            project_id, since + 1) <= since

    def note_quiet(self, project_id, since):
        """``project_id`` may see no event numbered ``since`` or more."""
        self.quiet[project_id] = min(since, self.quiet.get(project_id, since))

    def read(self, since, limit, project_id):
        if project_id is None:
            if not self.ids or self.ids[-1] < since:
                return []
        elif self.newest.get(project_id, 0) < since:
            return []
        found = []
        for index in range(bisect.bisect_left(self.ids, since),
                           len(self.rows)):
            row = self.rows[index]
            if project_id is None or row['project_id'] == project_id:
                found.append(row)
                if len(found) == limit:
                    break
        return found


class Page:
    """Events read from the feed, the ``since`` of the next call, and
    whether events the caller asked for were already pruned."""

    def __init__(self, events, next_since, truncated):
        self.events = events
        self.next = next_since
        self.truncated = truncated


class Feed:

    def __init__(self, conf, db):
        self.conf = conf
        self.db = db
        self._counter = None
        self._counter_at = None
        self._checked_at = None
        self._pruned_at = None
        self._stopping = False
        self._tail = None
        self._lock = threading.Lock()
        # One waiter at a time (the ticker) sleeps and looks; the others
        # wait on an event of their own, filed by the project whose events
        # they may see (None: every event), until one of those arrives or
        # the ticker leaves.
        self._waiting_lock = threading.Lock()
        self._waiting = collections.defaultdict(set)
        self._ticker = False

    def stop(self):
        """The process is shutting down: answer waiting long polls now."""
        self._stopping = True
        self._wake(None)

    def _latest(self, read_after=None):
        """``(newest number, newest pruned)``, read once an interval.

        ``read_after`` (a ``time.monotonic()``) asks for a value read after
        that moment: what a new request needs to see the writes that came
        before it. Requests arriving together share one read.
        """
        if read_after is None and not self._stale():
            return self._counter
        with self._lock:
            if read_after is None and not self._stale():
                return self._counter
            if (read_after is not None and self._counter_at is not None
                    and self._counter_at >= read_after):
                return self._counter
            started = time.monotonic()
            before = self._tail.end if self._tail else None
            counter = db_events.counter(self.db)
            self._advance(counter[0])
            self._counter = counter
            self._counter_at = started
            if before is not None and counter[0] != before:
                # NOTE: after the counter moved, so a waiter that saw the
                # old one is either filed here already or sees the new one.
                self._wake(self._tail.projects(before + 1)
                           if self._tail.covers(before + 1) else None)
        return self._counter

    def _stale(self):
        return (self._counter_at is None or time.monotonic()
                - self._counter_at >= self.conf.events.poll_interval)

    def _advance(self, seq):
        """Bring the tail up to event ``seq``, in one query."""
        if self._tail is None or seq - self._tail.end > _TAIL_SIZE:
            self._tail = _Tail(seq)
        elif seq > self._tail.end:
            self._tail.extend(db_events.read(
                self.db, self._tail.end + 1, seq - self._tail.end), seq)

    def _wake(self, projects):
        """Wake the waiters who may see an event of ``projects`` (None:
        every waiter)."""
        with self._waiting_lock:
            if projects is None:
                keys = list(self._waiting)
            else:
                keys = [None] + [p for p in projects if p is not None]
            for key in keys:
                for waiter in self._waiting.get(key, ()):
                    waiter.set()

    def _wait(self, remaining, seen, project_id):
        """Until an event ``project_id`` may see arrives past event
        ``seen``, or ``remaining`` seconds; False if the time ran out
        without one.

        NOTE: a thousand waiters each waking every interval, or at every
        event, cost a worker more than the one look they share; so one of
        them ticks and wakes only those with something new (and one other
        when it leaves, to take over).
        """
        with self._waiting_lock:
            if self._counter[0] != seen:
                return True
            if self._ticker:
                waiter = threading.Event()
                self._waiting[project_id].add(waiter)
            else:
                self._ticker = True
                waiter = None
        if waiter is not None:
            try:
                return waiter.wait(remaining)
            finally:
                with self._waiting_lock:
                    waiters = self._waiting[project_id]
                    waiters.discard(waiter)
                    if not waiters:
                        del self._waiting[project_id]
        try:
            time.sleep(min(self.conf.events.poll_interval, remaining))
            self.housekeeping()
            self._latest()
        finally:
            with self._waiting_lock:
                self._ticker = False
        return True

    def _hand_over(self):
        """A waiter leaves: if nobody ticks now, wake one to take over."""
        with self._waiting_lock:
            if self._ticker:
                return
            for waiters in self._waiting.values():
                for waiter in waiters:
                    waiter.set()
                    return

    def housekeeping(self):
        """Note hosts that went down, and prune, when their time has come."""
        now = time.monotonic()
        interval = self.conf.events.liveness_check_interval
        if self._checked_at is None or now - self._checked_at >= interval:
            self._checked_at = now
            db_events.note_down_hosts(
                self.db, self.conf.scheduler.service_down_time)
        if self._pruned_at is None or now - self._pruned_at >= _PRUNE_INTERVAL:
            self._pruned_at = now
            db_events.prune(self.db, self.conf.events.retention_seconds)

    def read(self, since, limit, wait, project_id=None):
        """A ``Page`` of events from ``since`` (None: the oldest kept).

        With ``wait`` seconds and nothing to answer yet, looks again every
        poll interval until an event arrives or the time is up.
        """
        try:
            return self._read(since, limit, wait, project_id)
        finally:
            if wait:
                self._hand_over()

    def _read(self, since, limit, wait, project_id):
        arrived = time.monotonic()
        self.housekeeping()
        # NOTE: an answer at once must see every write that came before
        # the request. A long poll may start from the last look (at most an
        # interval old): an event it missed reaches it with the next look,
        # as one written while it waits does, and the polls that a thousand
        # clients renew all the time cost no query each.
        seq, pruned = self._latest(read_after=None if wait else arrived)
        # Numbers start at 1: a ``since`` below that (0) asks from before
        # the first event, and lost something only once any was pruned.
        truncated = since is not None and max(since, 1) <= pruned
        if since is None:
            since = pruned + 1
        deadline = time.monotonic() + wait
        scan = since
        while True:
            if limit and seq >= scan:
                rows = self._pick(scan, limit, project_id)
                if rows:
                    return Page(rows, rows[-1]['id'] + 1, truncated)
                # Every event up to ``seq`` had committed when the counter
                # was read: none of them is for this caller.
                scan = seq + 1
            remaining = deadline - time.monotonic()
            # NOTE: a graceful shutdown waits for in-flight requests; a
            # long poll answered empty now is as true as one 30 s later.
            if remaining <= 0 or self._stopping:
                return Page([], since, truncated)
            if not self._wait(remaining, seq, project_id):
                # Never woken: no look found an event for this caller.
                return Page([], since, truncated)
            seq, _ = self._latest()

    def _pick(self, scan, limit, project_id):
        """Up to ``limit`` events ``project_id`` may see from ``scan``:
        from the tail, else from the database."""
        tail = self._tail
        if tail.knows(scan, project_id):
            return tail.read(scan, limit, project_id)
        start = tail.start
        rows = db_events.read(self.db, scan, limit, project_id)
        # NOTE: the read may have let other green threads move the tail
        # (PostgreSQL); what it found ties to the tail only if not.
        if not rows and self._tail is tail and tail.start == start:
            tail.note_quiet(project_id, scan)
        return rows
