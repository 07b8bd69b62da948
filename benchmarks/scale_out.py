"""A second API server on the same database: does it add throughput?

    python -m tests.pg run -- .venv/bin/python benchmarks/scale_out.py \
        --db "$SORA_TEST_DATABASE_URL" --hosts 10000 --duration 15

Issue 11 asks that two API servers on one PostgreSQL give more
throughput than one, not less: a claim that every server's claims queue
behind (a counter row bumped by each) would make a second server take
throughput away. On one machine that is measured with one worker per
server, so that server A alone cannot use the whole machine: A starts on
an EMPTY database (``--db``; SQLite when omitted), the fleet registers
through it, and ``POST /v1/schedules`` runs with ``--connections`` against
A alone; then B starts on the same database and the same connections are
split over A and B, driven at once. Printed: schedules/s, p99 and server
CPU ms per schedule (every process of the servers that answered), and
the claims lost to a race.
"""

import argparse
import concurrent.futures
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import fleet  # noqa: E402
from benchmarks import loadgen  # noqa: E402
from benchmarks import run as bench_run  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402


def _drive(servers, tool, connections, seconds):
    """The schedule run spread over ``servers`` at once: one load tool
    each, ``connections`` split evenly; the summed result."""
    share = max(1, connections // len(servers))
    before = [s.cpu_seconds() for s in servers]
    races = sum(bench_run.claim_races(s) for s in servers)
    with concurrent.futures.ThreadPoolExecutor(len(servers)) as pool:
        results = list(pool.map(lambda s: loadgen.run(
            tool, s.host, s.port, 'POST', '/v1/schedules',
            fleet.schedule_mix(), s.tokens['member'], share, seconds),
            servers))
    for s in servers:
        s.wait_idle()
    cpu = sum(s.cpu_seconds() - b for s, b in zip(servers, before))
    requests = sum(r['requests'] for r in results)
    return {
        'rate': sum(r['rate'] for r in results),
        'p99': max(r['p99'] for r in results),
        'errors': sum(r['errors'] for r in results),
        'non_2xx': sum(r['non_2xx'] for r in results),
        'cpu_ms': cpu * 1000.0 / requests if requests else None,
        'races': sum(bench_run.claim_races(s) for s in servers) - races,
        'requests': requests,
    }


def main(argv=None):
    """Run it; returns ``[(name, result), ...]`` as printed."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--hosts', type=int, default=10000)
    parser.add_argument('--duration', type=float, default=15)
    parser.add_argument('--connections', type=int, default=16)
    parser.add_argument('--workers', type=int, default=1,
                        help='worker processes of each server (default 1)')
    parser.add_argument('--db', help='SQLAlchemy URL of an EMPTY database')
    parser.add_argument('--tool', choices=('auto', 'wrk', 'python'),
                        default='auto')
    args = parser.parse_args(argv)
    tool = loadgen.choose_tool(args.tool)
    workdir = tempfile.mkdtemp(prefix='sora-scale-out-')
    a = b = None
    db_url = args.db or 'sqlite:///%s' % os.path.join(workdir, 'shared.db')
    try:
        a = bench_server.BenchServer(os.path.join(workdir, 'a'),
                                     args.workers, db_url).start()
        reg = bench_run.register(a, args.hosts, 32, 600, 'so', batch=500)
        print('registered %d hosts through A (%.0f hosts/s)' % (
            reg['hosts_created'], reg['rate']))
        rows = [('A alone', _drive([a], tool, args.connections,
                                   args.duration))]
        b = bench_server.BenchServer(os.path.join(workdir, 'b'),
                                     args.workers, db_url).start()
        rows.append(('A and B', _drive([a, b], tool, args.connections,
                                       args.duration)))
        print('%s, %d hosts, %d worker(s) per server, %d connections, %s s'
              % ('PostgreSQL' if args.db and 'postgres' in args.db
                 else 'SQLite' if not args.db else args.db.split(':')[0],
                 args.hosts, args.workers, args.connections, args.duration))
        print('| servers | schedules/s | p99 ms | server CPU ms / schedule '
              '| errors / non-2xx | claims lost to a race |')
        print('| --- | --- | --- | --- | --- | --- |')
        for name, r in rows:
            print('| %s | %.0f | %.1f | %.2f | %d / %d | %d |' % (
                name, r['rate'], r['p99'], r['cpu_ms'], r['errors'],
                r['non_2xx'], r['races']))
        return rows
    finally:
        for s in (b, a):
            if s is not None:
                s.stop()


if __name__ == '__main__':
    main()
