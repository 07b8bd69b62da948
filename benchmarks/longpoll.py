"""Schedule throughput of one worker with 1,000 clients long-polling the feed.

    .venv/bin/python benchmarks/longpoll.py [--watchers 1000] [--seconds 10]

Runs on one ``sora-api`` worker (SQLite, 1,000 hosts), each driving
``POST /v1/schedules`` over 8 connections: no watchers; ``--watchers``
clients long-polling ``GET /v1/events?wait=25`` who see none of the new
events (another project's member: the feed's usual case); and, last, as
many admin watchers, whom every schedule wakes (each answer, then a new
poll). The watchers run in a process of their own. Each ``--rounds``
starts a fresh server for its two first rows, so the rows to compare run
next to each other, and no poll of one row is still parked in the next.

The watchers are measured as they are once they settled: the run starts
when every first poll has arrived and the server has gone quiet, and the
first polls end spread over the wait (after 1, 2, ... 25 s), so the new
polls that follow arrive at the steady rate, ``--watchers`` / 25 a second,
during the run as they would forever after.

Prints one row per run, with the server's CPU time per schedule (from
/proc: steadier than the rate on a machine others load too) and the load
average, then the medians of the rounds; numbers from a shared machine
are indicative.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import httpload  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402

SCHEDULE = {'resources': {'vcpus': 1, 'memory_mb': 64}}
# Seconds a watcher's poll waits: under httpload's 30 s request timeout.
WAIT = 25


def _register(srv, count):
    hosts = [{'name': 'lp-%05d' % i, 'vcpus': 1024, 'memory_mb': 1 << 22,
              'disk_gb': 1 << 16} for i in range(count)]
    for start in range(0, count, 1000):
        httpload.run_all(srv.host, srv.port, [httpload.json_request(
            'POST', '/v1/hosts/bulk', {'hosts': hosts[start:start + 1000]},
            srv.tokens['admin'])], connections=1)


async def _get(srv, path, token):
    conn = httpload._Connection(srv.host, srv.port)
    try:
        _, body = await conn.request(httpload.json_request(
            'GET', path, token=token))
    finally:
        conn.close()
    return json.loads(body)


def _head(srv, token):
    """The ``since`` past every event so far."""
    path = '/v1/events?limit=1000'
    while True:
        page = asyncio.run(_get(srv, path, token))
        if not page['events']:
            return page['next']
        path = '/v1/events?limit=1000&since=%d' % page['next']


async def _watch(srv_address, token, since, wait, counts):
    """One client long-polling for ever; ``counts``: polls sent, answered."""
    conn = httpload._Connection(*srv_address)
    while True:
        request = httpload.json_request(
            'GET', '/v1/events?since=%d&wait=%d' % (since, wait), token=token)
        counts[0] += 1
        try:
            _, body = await conn.request(request)
        except Exception:
            await asyncio.sleep(0.1)
            continue
        counts[1] += 1
        since = json.loads(body)['next']
        wait = WAIT


def _watch_all(srv_address, token, since, count, counts):
    async def every():
        await asyncio.gather(*(
            _watch(srv_address, token, since, 1 + i % WAIT, counts)
            for i in range(count)))
    asyncio.run(every())


class Watchers:
    """``count`` connections long-polling the feed, in a process of their
    own.

    NOTE: not a thread of this one: it would take the interpreter lock from
    the load driver, whose connections then keep fewer requests in flight,
    which costs the server more CPU per schedule than the watchers do.

    The first poll of the i-th watcher waits ``1 + i % WAIT`` seconds, its
    next ones ``WAIT``: new polls arrive at the steady rate from the start.
    """

    def __init__(self, srv, count, token):
        self.srv, self.count = srv, count
        # Polls sent and polls answered, counted by the watchers' process.
        self.counts = multiprocessing.Array('q', 2, lock=False)
        self.process = multiprocessing.Process(
            target=_watch_all, daemon=True,
            args=((srv.host, srv.port), token, _head(srv, token), count,
                  self.counts))

    @property
    def answers(self):
        return self.counts[1]

    def start(self):
        """Start polling; return once every first poll is parked."""
        self.process.start()
        while self.counts[0] < self.count:
            time.sleep(0.05)
        self.srv.wait_idle()

    def stop(self):
        """Close every watcher's connection."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _cpu_seconds(pid):
    """User and system CPU seconds the process ``pid`` has used."""
    with open('/proc/%d/stat' % pid) as f:
        fields = f.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _drive(srv, seconds):
    request = httpload.json_request('POST', '/v1/schedules', SCHEDULE,
                                    srv.tokens['admin'])
    return httpload.drive(srv.host, srv.port, lambda: request,
                          connections=8, seconds=seconds)


def _row(srv, label, seconds, watchers=None):
    """Drive schedules for ``seconds``; print and return the row."""
    _drive(srv, 2)  # warm up, with the watchers parked
    answers = watchers.answers if watchers else 0
    cpu = _cpu_seconds(srv.process.pid)
    outcome = _drive(srv, seconds)
    cpu = _cpu_seconds(srv.process.pid) - cpu
    row = (outcome.rate, 1000 * cpu / max(1, len(outcome.latencies)))
    print('| %s | %.0f | %.1f | %.1f | %d | %s | %.2f | %.1f |' % (
        label, row[0], outcome.percentile(50), outcome.percentile(99),
        outcome.non_2xx, watchers.answers - answers if watchers else '-',
        row[1], os.getloadavg()[0]), flush=True)
    return row


def _serving(hosts):
    srv = bench_server.BenchServer(tempfile.mkdtemp(prefix='sora-lp-'))
    srv.start()
    _register(srv, hosts)
    return srv


def _watched(args, label, role, srv=None):
    """A row with watchers of ``role``: the last on its server."""
    srv = srv or _serving(args.hosts)
    watchers = None
    try:
        watchers = Watchers(srv, args.watchers, srv.tokens[role])
        watchers.start()
        return _row(srv, label, args.seconds, watchers)
    finally:
        if watchers:
            watchers.stop()
        srv.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watchers', type=int, default=1000)
    parser.add_argument('--seconds', type=float, default=10.0)
    parser.add_argument('--hosts', type=int, default=1000)
    parser.add_argument('--rounds', type=int, default=1)
    args = parser.parse_args()
    print('| watchers | schedules/s | p50 ms | p99 ms | non-2xx | '
          'watcher answers | server CPU ms/schedule | load average |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- |')
    quiet = '%d, see nothing' % args.watchers
    rows = {'none': [], quiet: []}
    for _ in range(args.rounds):
        srv = _serving(args.hosts)
        try:
            rows['none'].append(_row(srv, 'none', args.seconds))
        except BaseException:
            srv.stop()
            raise
        rows[quiet].append(_watched(args, quiet, 'member', srv))
    _watched(args, '%d, woken by each' % args.watchers, 'admin')
    if args.rounds > 1:
        for label, runs in rows.items():
            print('| median of %d: %s | %.0f | | | | | %.2f | |' % (
                len(runs), label, statistics.median(r[0] for r in runs),
                statistics.median(r[1] for r in runs)))


if __name__ == '__main__':
    main()
