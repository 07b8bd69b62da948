"""One process's view of the change feed: long polls, liveness, retention.

Waiting clients share one look at the event counter per ``[events]
poll_interval``; between looks they sleep without a database connection
(``time.sleep``, green under eventlet). New events are read once per look
into a tail kept in memory, from which every waiter picks its own, so a
thousand waiters cost one query per interval, not a thousand. The liveness
check and the pruning run at most once per interval, whoever reads the feed
first.
"""

import bisect
import threading
import time

from sora_api.db import events as db_events

# Seconds between two prunings by one process: retention is coarse.
_PRUNE_INTERVAL = 60
# Events one process keeps in memory for its waiting clients.
_TAIL_SIZE = 10000


class _Tail:
    """The newest events, every number in ``(start, end]``, in order."""

    def __init__(self, end):
        self.start = self.end = end
        self.ids = []
        self.rows = []

    def extend(self, rows, end):
        """Append the events numbered ``(self.end, end]``."""
        self.rows.extend(rows)
        self.ids.extend(row['id'] for row in rows)
        self.end = end
        excess = len(self.rows) - _TAIL_SIZE
        if excess > 0:
            self.start = self.ids[excess - 1]
            del self.rows[:excess]
            del self.ids[:excess]

    def covers(self, since):
        return since > self.start

    def read(self, since, limit, project_id):
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
        # wait here until the counter moves or the ticker leaves.
        self._moved = threading.Condition()
        self._ticker = False

    def stop(self):
        """The process is shutting down: answer waiting long polls now."""
        self._stopping = True
        with self._moved:
            self._moved.notify_all()

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
            before = self._counter
            self._counter = db_events.counter(self.db)
            self._counter_at = started
            self._advance(self._counter[0])
        if before is not None and before[0] != self._counter[0]:
            with self._moved:
                self._moved.notify_all()
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

    def _wait(self, remaining):
        """Until the counter may have moved, or ``remaining`` seconds.

        NOTE: a thousand waiters each waking every interval cost a worker
        more than the one look they share; so one of them ticks and wakes
        the others only when there is something new (or when it leaves,
        so another takes over).
        """
        with self._moved:
            if self._ticker:
                self._moved.wait(remaining)
                return
            self._ticker = True
        try:
            time.sleep(min(self.conf.events.poll_interval, remaining))
            self.housekeeping()
            self._latest()
        finally:
            with self._moved:
                self._ticker = False

    def _hand_over(self):
        """A waiter leaves: if nobody ticks now, wake one to take over."""
        with self._moved:
            if not self._ticker:
                self._moved.notify()

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
        seq, pruned = self._latest(read_after=arrived)
        truncated = since is not None and since <= pruned
        if since is None:
            since = pruned + 1
        deadline = time.monotonic() + wait
        scan = since
        while True:
            if limit and seq >= scan:
                if self._tail.covers(scan):
                    rows = self._tail.read(scan, limit, project_id)
                else:
                    rows = db_events.read(self.db, scan, limit, project_id)
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
            self._wait(remaining)
            seq, _ = self._latest()
