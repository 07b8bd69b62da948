#!/usr/bin/env python3
"""Issue 16 item 1 in-process: what a new host costs a worker, and the GC.

    .venv/bin/python benchmarks/catchup.py --hosts 100000 [--live]

One ``SchedulerManager`` on a fresh SQLite file, no HTTP. Without
``--live`` the fleet is in the database before the manager loads it and
the GC is frozen (a restarted server); with it the manager starts empty,
the GC is frozen, and the fleet arrives in batches of 500 that it catches
up with (hosts registered while serving). Then ``--requests`` claimed
schedules, with one new host before every ``--trickle-every``-th. It
prints the medians and p99 of a whole request and of its catch-up
(``host_table()``), apart for requests right after a new host, and every
collection the GC made (``gc.callbacks``).
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import fleet  # noqa: E402
from sora_api import conf as sora_conf  # noqa: E402
from sora_api.db import engine  # noqa: E402
from sora_api.db import hosts as db_hosts  # noqa: E402
from sora_api.db import migration  # noqa: E402
from sora_api.scheduler import manager as scheduler_manager  # noqa: E402

BATCH = 500


def _host(index, prefix):
    """A fleet host with the defaults the API would fill in."""
    body = fleet.host_body(index, prefix)
    body.update(cpu_allocation_ratio=16.0, ram_allocation_ratio=1.5,
                disk_allocation_ratio=1.0, enabled=True)
    return body


def _register(db, start, count, prefix):
    db_hosts.create_many(db, [_host(i, prefix)
                              for i in range(start, start + count)])


def _ms(values, q):
    if not values:
        return float('nan')
    if q == 50:
        return statistics.median(values) * 1000.0
    return statistics.quantiles(values, n=100)[q - 1] * 1000.0


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--hosts', type=int, default=20000)
    p.add_argument('--live', action='store_true',
                   help='register the fleet after the manager started')
    p.add_argument('--requests', type=int, default=400)
    p.add_argument('--trickle-every', type=int, default=10,
                   help='one new host before every Nth request (0: none)')
    args = p.parse_args(argv)

    conf = sora_conf.new_config([], default_config_files=[])
    conf.set_override('state_path', tempfile.mkdtemp(prefix='catchup-'))
    db = engine.Database(conf)
    migration.upgrade(db.engine)
    manager = scheduler_manager.SchedulerManager(conf, db)
    if not args.live:
        for start in range(0, args.hosts, BATCH):
            _register(db, start, min(BATCH, args.hosts - start), 'fleet')
    manager.warm_up()
    gc.freeze()
    if args.live:
        for start in range(0, args.hosts, BATCH):
            _register(db, start, min(BATCH, args.hosts - start), 'fleet')
            manager.host_table()
    tracked = len(gc.get_objects())

    pauses = []
    started = [0.0]

    def on_gc(phase, info):
        if phase == 'start':
            started[0] = time.perf_counter()
        else:
            pauses.append((info['generation'],
                           time.perf_counter() - started[0]))

    gc.callbacks.append(on_gc)
    request = fleet.schedule_body()
    after_new, steady = ([], []), ([], [])
    for k in range(args.requests):
        new_host = bool(args.trickle_every) and k % args.trickle_every == 0
        if new_host:
            _register(db, 10 ** 7 + k, 1, 'trickle')
        began = time.perf_counter()
        manager.host_table()
        caught_up = time.perf_counter()
        manager.schedule('catchup', 'catchup', request)
        done = time.perf_counter()
        whole, catchup = after_new if new_host else steady
        whole.append(done - began)
        catchup.append(caught_up - began)
    gc.callbacks.remove(on_gc)

    print('%d hosts, %s; GC-tracked objects after loading: %d' % (
        args.hosts, 'registered after start (--live)' if args.live
        else 'loaded at start', tracked))
    for name, (whole, catchup) in (('steady', steady),
                                   ('after a new host', after_new)):
        if whole:
            print('  %-16s %4d requests: whole p50 %6.1f p99 %6.1f ms; '
                  'catch-up p50 %6.1f p99 %6.1f ms' % (
                      name, len(whole), _ms(whole, 50), _ms(whole, 99),
                      _ms(catchup, 50), _ms(catchup, 99)))
    for generation in (0, 1, 2):
        mine = [s for g, s in pauses if g == generation]
        print('  gen%d collections: %d, total %.1f ms, longest %.1f ms' % (
            generation, len(mine), sum(mine) * 1000.0,
            max(mine, default=0.0) * 1000.0))


if __name__ == '__main__':
    main()
