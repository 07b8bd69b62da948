#!/usr/bin/env python3
"""Benchmark a real ``sora-api``: registration, baseline, schedules, dry runs.

    .venv/bin/python benchmarks/run.py --hosts 1000 10000 100000 \\
        --duration 20 [--db URL] [--workers 2] [--connections 8]

For each host count N it starts a fresh ``sora-api`` (own state directory
and config, SQLite by default or ``--db``; token auth), registers N hosts
over concurrent keep-alive connections, then drives for a bounded time with
``wrk`` (or the built-in Python driver when wrk is missing): ``GET /`` (the
baseline), ``POST /v1/schedules`` (1 instance, claimed) and a single-client
``dry_run``. Then it stops the server and times one filter-and-weigh pass
in-process. It prints each result, and writes ``RESULTS.md``,
``results.json`` and ``results.png`` (``--label X``: ``RESULTS-X.md``, ...)
into ``--output-dir`` (default: this directory).
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

# Run as a script from anywhere: make the ``benchmarks`` package importable
# (appended, so a PYTHONPATH pointing at another sora_api tree still wins).
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import fleet  # noqa: E402
from benchmarks import httpload  # noqa: E402
from benchmarks import inprocess  # noqa: E402
from benchmarks import loadgen  # noqa: E402
from benchmarks import profile  # noqa: E402
from benchmarks import report  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Faster than any rate the service can reach (eventlet's ceiling is about
# 6,000 req/s per core): a fleet that can take duration x this never runs
# out of capacity during a run.
MAX_PLAUSIBLE_RATE = 12000


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--hosts', type=int, nargs='+',
                   default=[1000, 10000, 100000],
                   help='host counts to benchmark, each on a fresh server')
    p.add_argument('--duration', type=float, default=20.0,
                   help='seconds of GET / and of POST /v1/schedules load')
    p.add_argument('--dry-run-duration', type=float, default=None,
                   help='seconds of single-client dry_run (default: '
                        'min(duration, 10))')
    p.add_argument('--db', default=None,
                   help='SQLAlchemy URL of an EMPTY database (default: '
                        'SQLite in the run\'s state directory)')
    p.add_argument('--workers', type=int, default=2,
                   help='[api] workers of the server (default 2)')
    p.add_argument('--connections', type=int, default=8,
                   help='concurrent connections of the load (default 8)')
    p.add_argument('--register-connections', type=int, default=32,
                   help='concurrent connections registering hosts')
    p.add_argument('--register-batch', type=int, default=500,
                   help='hosts per POST /v1/hosts/bulk; 1 registers each '
                        'host with its own POST /v1/hosts')
    p.add_argument('--register-timeout', type=float, default=1200.0,
                   help='give up registering after this many seconds')
    p.add_argument('--tool', choices=['auto', 'wrk', 'python'],
                   default='auto',
                   help='load tool: wrk if installed (auto), or the '
                        'built-in asyncio driver')
    p.add_argument('--output-dir', default=HERE,
                   help='where RESULTS*.md, results*.json/png go')
    p.add_argument('--label', default='',
                   help='suffix of the output names, e.g. "before"')
    p.add_argument('--note', action='append', default=[],
                   help='a line added to the notes of RESULTS.md')
    p.add_argument('--profile', action='store_true',
                   help='sample one worker with py-spy during the schedule '
                        'run; top lines in profile[-LABEL]-N.txt')
    p.add_argument('--skip-inprocess', action='store_true',
                   help='do not time the in-process filter-and-weigh pass')
    p.add_argument('--no-plot', action='store_true',
                   help='do not draw the PNG (needs matplotlib)')
    p.add_argument('--keep', action='store_true',
                   help='keep each server\'s state directory (and log)')
    p.add_argument('--workdir', default=None,
                   help='parent of the servers\' state directories')
    p.add_argument('--rerender', metavar='RESULTS_JSON', default=None,
                   help='run nothing: rewrite RESULTS*.md and the plot from '
                        'a results*.json of an earlier run (with --label '
                        'and --output-dir as for that run)')
    return p.parse_args(argv)


def log(text):
    print(text, flush=True)


def register(srv, n, connections, timeout, prefix, batch=1):
    token = srv.tokens['admin']
    if batch > 1:
        requests = (httpload.json_request(
            'POST', '/v1/hosts/bulk', {'hosts': [
                fleet.host_body(i, prefix)
                for i in range(start, min(start + batch, n))]}, token)
            for start in range(0, n, batch))
    else:
        requests = (httpload.json_request(
            'POST', '/v1/hosts', fleet.host_body(i, prefix), token)
            for i in range(n))
    outcome = httpload.run_all(srv.host, srv.port, requests,
                               connections=connections, max_seconds=timeout)
    # Every batch but the last has ``batch`` hosts.
    created = min(n, outcome.statuses.get(201, 0) * batch)
    return {
        'hosts_created': created,
        'seconds': outcome.seconds,
        'rate': created / outcome.seconds if outcome.seconds else 0.0,
        'errors': outcome.errors,
        'non_2xx': outcome.non_2xx,
        'statuses': dict(outcome.statuses),
        'samples': [(s, b if isinstance(b, str) else b.decode('utf-8',
                                                              'replace'))
                    for s, b in outcome.samples],
    }


def _warm_up(srv):
    """Requests of each kind, so the first measured ones are not cold.

    Each worker loads the hosts registered after it started on its first
    schedule request; 16 connections, which the kernel spreads over the
    workers, make that happen here for every worker, not in the run.
    """
    member = srv.tokens['member']
    warm = [httpload.json_request('GET', '/')] + [
        httpload.json_request('POST', '/v1/schedules',
                              fleet.schedule_body(dry_run=True), member)
        for _ in range(16)]
    httpload.run_all(srv.host, srv.port, warm, connections=16,
                     max_seconds=300)


def _settle(srv, row):
    """Let the server finish what the previous run left in flight."""
    waited = srv.wait_idle()
    if waited > 2:
        row['notes'].append('waited %.0f s for the server to finish the '
                            'previous run\'s requests' % waited)


def _show(name, r):
    log('  %-9s %8.1f req/s  p50 %8.2f  p95 %8.2f  p99 %8.2f ms  '
        'errors %d  non-2xx %d  (%s, %d requests)' % (
            name, r['rate'], r['p50'] or 0, r['p95'] or 0, r['p99'] or 0,
            r['errors'], r['non_2xx'], r['tool'], r['requests']))
    if r['non_2xx'] or r['errors']:
        log('            statuses %s %s' % (r['statuses'],
                                           r.get('samples', [])[:2]))


def worker_memory(srv):
    rss, hwm = [], []
    for pid in srv.worker_pids():
        now, peak = bench_server.memory_kb(pid)
        if now is not None:
            rss.append(now / 1024.0)
            hwm.append(peak / 1024.0)
    return {'workers_rss_mb': [round(x, 1) for x in rss],
            'max_rss_mb': max(rss) if rss else None,
            'max_hwm_mb': max(hwm) if hwm else None}


def run_one(n, args, tool, workdir):
    """Benchmark one host count; return its row of the results."""
    row = {'hosts': n, 'notes': [], 'baseline': None, 'schedule': None,
           'dry_run': None, 'loadavg_before': os.getloadavg()}
    dry_seconds = (args.dry_run_duration if args.dry_run_duration
                   else min(args.duration, 10.0))
    if fleet.capacity(n) < args.duration * MAX_PLAUSIBLE_RATE:
        row['notes'].append(
            'the fleet can take %d instances, fewer than %.0f s x %d req/s:'
            ' a very fast run could exhaust it' % (
                fleet.capacity(n), args.duration, MAX_PLAUSIBLE_RATE))
    srv = bench_server.BenchServer(workdir, workers=args.workers,
                                   db_url=args.db)
    srv.start()
    try:
        log('== %d hosts: sora-api at %s, workers=%d, pids %s' % (
            n, srv.url, args.workers, srv.worker_pids()))
        reg = register(srv, n, args.register_connections,
                       args.register_timeout,
                       'bench-%d-%s' % (n, os.path.basename(workdir)),
                       batch=args.register_batch)
        row['registration'] = reg
        row['register_rate'] = reg['rate']
        log('  register  %d hosts in %.1f s = %.0f hosts/s (%d '
            'connections, %d per request), errors %d, non-2xx %d' % (
                reg['hosts_created'], reg['seconds'], reg['rate'],
                args.register_connections, args.register_batch,
                reg['errors'], reg['non_2xx']))
        if reg['hosts_created'] < n:
            row['notes'].append(
                'registration stopped at %d of %d hosts after %.0f s (%s)'
                % (reg['hosts_created'], n, reg['seconds'],
                   reg['samples'][:2] or '--register-timeout'))
        if reg['seconds'] > 60 and reg['hosts_created']:
            row['notes'].append(
                'registering %d hosts over HTTP took %.0f s (%.0f hosts/s)'
                % (reg['hosts_created'], reg['seconds'], reg['rate']))
        _warm_up(srv)
        member = srv.tokens['member']
        _settle(srv, row)
        row['baseline'] = loadgen.run(
            tool, srv.host, srv.port, 'GET', '/', None, None,
            args.connections, args.duration)
        _show('GET /', row['baseline'])
        spy = raw = None
        if args.profile:
            raw = os.path.join(workdir, 'py-spy.raw')
            spy = profile.start(srv.worker_pids()[0], args.duration, raw)
            if spy is None:
                row['notes'].append('--profile: py-spy is not installed')
        _settle(srv, row)
        row['schedule'] = loadgen.run(
            tool, srv.host, srv.port, 'POST', '/v1/schedules',
            fleet.schedule_body(), member, args.connections, args.duration)
        _show('schedule', row['schedule'])
        if spy is not None:
            suffix = '-' + args.label if args.label else ''
            path = profile.finish(
                spy, raw, os.path.join(args.output_dir,
                                       'profile%s-%d.txt' % (suffix, n)),
                'py-spy, one worker, POST /v1/schedules at %d hosts' % n)
            log('  profile   %s' % path)
        _settle(srv, row)
        row['dry_run'] = loadgen.run(
            tool, srv.host, srv.port, 'POST', '/v1/schedules',
            fleet.schedule_body(dry_run=True), member, 1, dry_seconds)
        _show('dry_run', row['dry_run'])
        if row['baseline']['rate']:
            log('  schedule / baseline = %.3f' % (
                row['schedule']['rate'] / row['baseline']['rate']))
        row['rss'] = worker_memory(srv)
        log('  worker RSS MB %s (peak %s)' % (
            row['rss']['workers_rss_mb'], row['rss']['max_hwm_mb']))
    finally:
        status = srv.stop()
        if status not in (0, None):
            row['notes'].append('sora-api exited with status %s' % status)
    row['loadavg_after'] = os.getloadavg()
    if not args.skip_inprocess:
        row['inprocess'] = inprocess.measure(srv.config())
        ip = row['inprocess']
        if 'error' in ip:
            log('  in-process timing failed: %s' % ip['error'])
        else:
            log('  in-process (%d hosts): host_table %.1f ms cold, %.2f ms '
                'warm, select_destinations %.1f ms, rank %.1f ms (medians)'
                % (ip['hosts_seen'], ip['host_table_cold']['median_ms'],
                   ip['host_table']['median_ms'],
                    ip['select_destinations']['median_ms'],
                    ip['rank']['median_ms']))
    return row


def write_outputs(args, info, rows, settings=None):
    suffix = '-' + args.label if args.label else ''
    os.makedirs(args.output_dir, exist_ok=True)
    settings = settings or {
        'workers': args.workers,
        'connections (schedule, GET /)': args.connections,
        'dry_run connections': 1,
        'duration s (GET /, schedule)': args.duration,
        'dry_run duration s': (args.dry_run_duration
                               or min(args.duration, 10.0)),
        'database': args.db or 'SQLite (default, in the state directory)',
        'auth': 'token (X-Auth-Token)',
        'schedule body': json.dumps(fleet.schedule_body()),
        'register connections': args.register_connections,
        'hosts per registration request': args.register_batch,
        'load tool': rows[0]['schedule']['tool'] if rows and rows[0].get(
            'schedule') else args.tool,
    }
    title = 'Sora API benchmark' + (' (%s)' % args.label if args.label
                                    else '')
    md = os.path.join(args.output_dir, 'RESULTS%s.md' % suffix)
    with open(md, 'w') as f:
        f.write(report.markdown(title, info, settings, rows, args.note))
    with open(os.path.join(args.output_dir,
                           'results%s.json' % suffix), 'w') as f:
        json.dump({'machine': info, 'settings': settings, 'rows': rows,
                   'notes': args.note}, f, indent=1, default=str)
    written = [md]
    if not args.no_plot:
        png = os.path.join(args.output_dir, 'results%s.png' % suffix)
        try:
            if report.plot(rows, png, title):
                written.append(png)
        except ImportError:
            log('matplotlib is not installed: no plot')
    return written


def rerender(args):
    with open(args.rerender) as f:
        data = json.load(f)
    rows = data['rows']
    for row in rows:
        for phase in ('baseline', 'schedule', 'dry_run'):
            r = row.get(phase)
            if r and not r['requests']:
                # Nothing finished within the run: no latency to show.
                r.update(p50=None, p95=None, p99=None, max=None)
            if r:
                r['statuses'] = {int(k): v for k, v in r['statuses'].items()}
    args.note = data.get('notes', []) + args.note
    written = write_outputs(args, data['machine'], rows, data['settings'])
    log('Wrote %s' % ', '.join(written))
    return rows


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.rerender:
        return rerender(args)
    tool = loadgen.choose_tool(args.tool)
    import sora_api
    source = os.path.dirname(os.path.dirname(os.path.abspath(
        sora_api.__file__)))
    info = report.machine(source)
    log('Sora API benchmark: hosts %s, %.0f s per run, workers %d, %d '
        'connections, tool %s, sora_api from %s' % (
            args.hosts, args.duration, args.workers, args.connections, tool,
            source))
    parent = args.workdir or tempfile.mkdtemp(prefix='sora-bench-')
    os.makedirs(parent, exist_ok=True)
    rows = []
    started = time.monotonic()
    try:
        for n in args.hosts:
            workdir = tempfile.mkdtemp(prefix='n%d-' % n, dir=parent)
            try:
                rows.append(run_one(n, args, tool, workdir))
            finally:
                if not args.keep:
                    shutil.rmtree(workdir, ignore_errors=True)
            written = write_outputs(args, info, rows)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(parent, ignore_errors=True)
    log('')
    log(report.table(rows))
    log('')
    log('Wrote %s in %.0f s' % (', '.join(written),
                                time.monotonic() - started))
    return rows


if __name__ == '__main__':
    main()
