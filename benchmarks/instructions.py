"""Instructions per schedule, counted by valgrind: a figure that does not
move with the machine's load.

    .venv/bin/python benchmarks/instructions.py --hosts 1000 \
        [--requests 200] [--dry-run]

CPU milliseconds on a shared machine move by 10-15% from run to run, more
than most changes of the schedule path. This registers a fleet through the
API of a real server (as ``run.py`` does), stops it, and then runs the
scheduler manager in-process on that database (``SchedulerManager.schedule``
or ``dry_run``, the benchmark's request, no HTTP) under valgrind's
cachegrind, twice for 20 requests and twice for 20 + ``--requests``, each
on a fresh copy of the database. The difference of the fewest instructions
counted at each length, divided by ``--requests``, is the instructions of
one request: start-up and warm-up cancel out. OpenBLAS threads, which spin
for a varying while, are turned off, and hashing is seeded, so runs of the
same code agree to a fraction of a percent.

Needs valgrind (Debian: ``apt-get install valgrind``); a run of 220
requests at 1,000 hosts takes about 30 s. To compare two commits, run each
one's tree with its own ``PYTHONPATH`` on fleets it registers itself.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import fleet  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402

WARM_UP = 30
SHORT = 20
_REFS = re.compile(r'I\s+refs:\s+([\d,]+)')


def _inner(workdir, count, dry_run):
    """Run in the counted process: ``count`` requests after the warm-up."""
    from sora_api.db import engine
    from sora_api.scheduler import manager

    conf = bench_server.BenchServer(workdir).config()
    db = engine.Database(conf)
    scheduler = manager.SchedulerManager(conf, db)
    body = fleet.schedule_body(dry_run=dry_run)
    if dry_run:
        def one():
            scheduler.dry_run('bench-project', dict(body))
    else:
        def one():
            scheduler.schedule('bench-project', 'bench-user', dict(body))
    for _ in range(WARM_UP + count):
        one()
    db.engine.dispose()


def _registered(hosts, workdir):
    """A stopped server's state directory with ``hosts`` registered."""
    from benchmarks import run

    srv = bench_server.BenchServer(workdir)
    srv.start()
    try:
        run.register(srv, hosts, 8, 900, 'bench', batch=50)
    finally:
        srv.stop()


def _counted(template, count, dry_run):
    """Instructions of one process running ``count`` requests."""
    workdir = tempfile.mkdtemp(prefix='sora-instructions-')
    try:
        shutil.copytree(template, workdir, dirs_exist_ok=True)
        env = dict(os.environ, OPENBLAS_NUM_THREADS='1', OMP_NUM_THREADS='1',
                   PYTHONHASHSEED='0')
        command = ['valgrind', '--tool=cachegrind', '--cache-sim=no',
                   '--cachegrind-out-file=/dev/null', sys.executable,
                   os.path.abspath(__file__), '--inner', workdir, str(count)]
        if dry_run:
            command.append('--dry-run')
        out = subprocess.run(command, env=env, capture_output=True,
                             text=True, check=True).stderr
        return int(_REFS.search(out).group(1).replace(',', ''))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--hosts', type=int, default=1000)
    p.add_argument('--requests', type=int, default=200)
    p.add_argument('--dry-run', action='store_true')
    p.add_argument('--inner', nargs=2, metavar=('WORKDIR', 'COUNT'),
                   help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.inner:
        _inner(args.inner[0], int(args.inner[1]), args.dry_run)
        return
    if not shutil.which('valgrind'):
        sys.exit('valgrind is not installed (apt-get install valgrind)')
    template = tempfile.mkdtemp(prefix='sora-instructions-fleet-')
    try:
        _registered(args.hosts, template)
        short = min(_counted(template, SHORT, args.dry_run)
                    for _ in range(2))
        long = min(_counted(template, SHORT + args.requests, args.dry_run)
                   for _ in range(2))
    finally:
        shutil.rmtree(template, ignore_errors=True)
    print('%s at %d hosts: %.0f thousand instructions per request '
          '(%d requests counted)' % (
              'dry run' if args.dry_run else 'schedule', args.hosts,
              (long - short) / args.requests / 1000.0, args.requests))


if __name__ == '__main__':
    main()
