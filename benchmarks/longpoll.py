"""Schedule throughput of one worker with 1,000 clients long-polling the feed.

    .venv/bin/python benchmarks/longpoll.py [--watchers 1000] [--seconds 10]

Three runs on one ``sora-api`` worker (SQLite, 1,000 hosts), each driving
``POST /v1/schedules`` over 8 connections: no watchers; ``--watchers``
clients long-polling ``GET /v1/events?wait=30`` who see none of the new
events (another project's member: the feed's usual case); and as many
admin watchers, whom every schedule wakes (each answer, then a new poll).
Prints one row per run, with the server's CPU time per schedule (from
/proc: steadier than the rate on a machine others load too) and the load
average; numbers from a shared machine are indicative.
"""

import argparse
import asyncio
import json
import os
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import httpload  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402

SCHEDULE = {'resources': {'vcpus': 1, 'memory_mb': 64}}


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


class Watchers:
    """``count`` connections long-polling the feed, in a thread of its own."""

    def __init__(self, srv, count, token):
        self.srv, self.count, self.token = srv, count, token
        self.answers = 0
        self.stopping = False
        self.since = _head(srv, token)
        self.thread = threading.Thread(target=asyncio.run,
                                       args=(self._all(),), daemon=True)

    async def _one(self):
        conn = httpload._Connection(self.srv.host, self.srv.port)
        since = self.since
        while not self.stopping:
            try:
                status, body = await conn.request(httpload.json_request(
                    'GET', '/v1/events?since=%d&wait=30' % since,
                    token=self.token))
            except Exception:
                await asyncio.sleep(0.1)
                continue
            self.answers += 1
            since = json.loads(body)['next']
        conn.close()

    async def _all(self):
        await asyncio.gather(*(self._one() for _ in range(self.count)))

    def start(self):
        self.thread.start()


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--watchers', type=int, default=1000)
    parser.add_argument('--seconds', type=float, default=10.0)
    parser.add_argument('--hosts', type=int, default=1000)
    args = parser.parse_args()
    srv = bench_server.BenchServer(tempfile.mkdtemp(prefix='sora-lp-'))
    srv.start()
    try:
        _register(srv, args.hosts)
        print('| watchers | schedules/s | p50 ms | p99 ms | non-2xx | '
              'watcher answers | server CPU ms/schedule | load average |')
        print('| --- | --- | --- | --- | --- | --- | --- | --- |')
        runs = [('none', None), ('%d, see nothing' % args.watchers,
                                 srv.tokens['member']),
                ('%d, woken by each' % args.watchers, srv.tokens['admin'])]
        for label, token in runs:
            watchers = None
            if token:
                watchers = Watchers(srv, args.watchers, token)
                watchers.start()
                _drive(srv, 2)  # let every watcher connect and wait
            cpu = _cpu_seconds(srv.process.pid)
            outcome = _drive(srv, args.seconds)
            cpu = _cpu_seconds(srv.process.pid) - cpu
            print('| %s | %.0f | %.1f | %.1f | %d | %s | %.2f | %.1f |' % (
                label, outcome.rate, outcome.percentile(50),
                outcome.percentile(99), outcome.non_2xx,
                watchers.answers if watchers else '-',
                1000 * cpu / max(1, len(outcome.latencies)),
                os.getloadavg()[0]), flush=True)
            if watchers:
                watchers.stopping = True
    finally:
        srv.stop()


if __name__ == '__main__':
    main()
