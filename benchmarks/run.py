#!/usr/bin/env python3
"""Benchmark a real server: registration, baseline, schedules, dry runs.

    .venv/bin/python benchmarks/run.py --hosts 1000 10000 100000 \\
        --duration 20 [--db URL] [--server sora-api|gunicorn] \\
        [--workers 2] [--connections 8 64] [--trickle 20] \\
        [--gpu-fraction 0.25] [--policies]

For each host count N it starts a fresh server (``sora-api``, or gunicorn
serving ``sora_api.wsgi:application``; own state directory and config,
SQLite by default or ``--db``; token auth), registers N hosts through the
API while it serves, over concurrent keep-alive connections, then for each
connection count drives for a bounded time with ``wrk`` (or the built-in
Python driver when wrk is missing): ``GET /`` (the baseline) and
``POST /v1/schedules`` (1 instance, claimed; ``--trickle R`` registers R
more hosts a second meanwhile); then a single-client ``dry_run``
(``--policies``: on a fleet with tainted and dedicated hosts, then also
``fleet.policies_body``'s dry run, once its group has members). Each
run reports the server's CPU milliseconds per request (its processes' CPU
time from /proc, before and after, over the requests answered). Then it
stops the server and times one filter-and-weigh pass in-process. It prints
each result, and merges its rows (one per setup, host count and connection
count) into ``RESULTS.md``, ``results.json`` and ``results.png``
(``--label X``: ``RESULTS-X.md``, ...) in ``--output-dir`` (default: this
directory), replacing only the rows of the same setup, so runs on SQLite,
PostgreSQL and MariaDB (``--db``) fill one table.
"""

import argparse
import functools
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.request

# Run as a script from anywhere: make the ``benchmarks`` package importable
# (appended, so a PYTHONPATH pointing at another sora_api tree still wins).
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import fleet  # noqa: E402
from benchmarks import httpload  # noqa: E402
from benchmarks import inprocess  # noqa: E402
from benchmarks import loadgen  # noqa: E402
from benchmarks import profile  # noqa: E402
from benchmarks import report  # noqa: E402
from benchmarks import results  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402
from benchmarks import trickle as bench_trickle  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# Faster than any rate the service can reach (eventlet's ceiling is about
# 6,000 req/s per core): a fleet that can take duration x this never runs
# out of capacity during a run.
MAX_PLAUSIBLE_RATE = 12000


def add_server_options(p):
    """The options of a benchmark that starts a server and registers its
    fleet through the API (this one and changes.py): the database, the
    workers, the registration, the load tool, the state directories."""
    p.add_argument('--db', default=None,
                   help='SQLAlchemy URL of an EMPTY database (default: '
                        'SQLite in the run\'s state directory)')
    p.add_argument('--workers', type=int, default=2,
                   help='worker processes of the server (default 2)')
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
    p.add_argument('--keep', action='store_true',
                   help='keep each server\'s state directory (and log)')
    p.add_argument('--workdir', default=None,
                   help='parent of the servers\' state directories')


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
    add_server_options(p)
    p.add_argument('--server', choices=bench_server.SERVERS,
                   default='sora-api',
                   help='sora-api (eventlet, the default) or gunicorn '
                        '(gthread workers serving sora_api.wsgi)')
    p.add_argument('--threads', type=int, default=4,
                   help='threads per gunicorn worker (default 4)')
    p.add_argument('--connections', type=int, nargs='+', default=[8, 64],
                   help='concurrent connections of the load; one run of '
                        'GET / and of schedules for each (default 8 64)')
    p.add_argument('--trickle', type=float, default=0.0, metavar='RATE',
                   help='register RATE hosts/s (POST /v1/hosts) during '
                        'each schedule run (default 0: none)')
    p.add_argument('--restart', action='store_true',
                   help='restart the server after registering, so it '
                        'loads the fleet at start instead of catching up '
                        '(issue 16: compare with a run without it)')
    p.add_argument('--gpu-fraction', type=float, default=0.0,
                   help='share of hosts with a GPU inventory (custom '
                        'classes %s) and a schedule mix asking for one GPU '
                        'in 2 of 8 requests; needs /v1/resource_classes'
                        % ', '.join(fleet.GPU_CLASSES))
    p.add_argument('--policies', action='store_true',
                   help='taint some hosts and dedicate others to projects '
                        '(fleet.policy_fields), and measure the dry run of a '
                        'request using a zone anti-affinity group, a spread, '
                        'a toleration and a preference (fleet.policies_body)'
                        ' beside the plain one')
    p.add_argument('--fresh', action='store_true',
                   help='start the results table anew instead of merging '
                        'into the rows of earlier runs of this label')
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
    p.add_argument('--rerender', metavar='RESULTS_JSON', default=None,
                   help='run nothing: rewrite RESULTS*.md and the plot from '
                        'a results*.json of an earlier run (with --label '
                        'and --output-dir as for that run)')
    return p.parse_args(argv)


def log(text):
    print(text, flush=True)


def register(srv, n, connections, timeout, prefix, batch=1,
             gpu_fraction=0.0, policies=False):
    token = srv.tokens['admin']

    def body(i):
        return fleet.host_body(i, prefix, gpu_fraction=gpu_fraction,
                               policies=policies)

    if batch > 1:
        requests = (httpload.json_request(
            'POST', '/v1/hosts/bulk', {'hosts': [
                body(i) for i in range(start, min(start + batch, n))]},
            token) for start in range(0, n, batch))
    else:
        requests = (httpload.json_request('POST', '/v1/hosts', body(i),
                                          token)
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


def create_gpu_classes(srv):
    """``PUT /v1/resource_classes/{name}`` for each GPU class, or exit.

    The resource classes API (issue 9) is required; a server without it
    answers 404 (or 405), which stops the run with a message saying so.
    """
    requests = [httpload.json_request(
        'PUT', '/v1/resource_classes/%s' % name, None, srv.tokens['admin'])
        for name in fleet.GPU_CLASSES]
    outcome = httpload.run_all(srv.host, srv.port, requests, connections=1,
                               max_seconds=60)
    if outcome.errors or set(outcome.statuses) - {201, 204}:
        raise SystemExit(
            '--gpu-fraction: this server does not take PUT '
            '/v1/resource_classes/{name} (statuses %s, %s): it needs the '
            'resource classes API of issue 9' % (
                dict(outcome.statuses), outcome.samples[:1]))


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


_RACES = re.compile(r'^sora_claim_races_lost_total\{[^}]*\} ([0-9.e+]+)$',
                    re.MULTILINE)


def claim_races(srv):
    """Claims lost to a race so far, from the server's ``/metrics``."""
    request = urllib.request.Request(
        '%s/metrics' % srv.url, headers={'X-Auth-Token': srv.tokens['admin']})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return int(sum(float(n) for n in _RACES.findall(text)))


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


def setup_name(args):
    """What a row ran on, beside its host and connection counts."""
    parts = [results.database_name(args.db), args.server]
    if args.server == 'gunicorn':
        parts[-1] += ' (gthread, %d threads)' % args.threads
    parts.append('workers=%d' % args.workers)
    if args.gpu_fraction:
        parts.append('GPU hosts %g' % args.gpu_fraction)
    if args.policies:
        parts.append('placement policies')
    if args.trickle:
        parts.append('trickle %g hosts/s' % args.trickle)
    if args.restart:
        parts.append('restarted after registering')
    return ', '.join(parts)


def _measured(srv, row, drive):
    """``drive()``'s result with the server's CPU per request added.

    The CPU is read after the server has finished the run's last requests
    (``wait_idle``), so the work of those it answered after the load tool
    stopped counting is included, and divided by the requests counted.
    """
    _settle(srv, row)
    before = srv.cpu_seconds()
    result = drive()
    srv.wait_idle()
    cpu = srv.cpu_seconds() - before
    result['server_cpu_s'] = cpu
    result['cpu_ms'] = (cpu * 1000.0 / result['requests']
                        if result['requests'] else None)
    return result


def _check_capacity(n, args, row):
    if fleet.capacity(n) < args.duration * MAX_PLAUSIBLE_RATE:
        row['notes'].append(
            'the fleet can take %d instances, fewer than %.0f s x %d req/s:'
            ' a very fast run could exhaust it' % (
                fleet.capacity(n), args.duration, MAX_PLAUSIBLE_RATE))
    if args.gpu_fraction:
        gpus = fleet.gpu_capacity(n, args.gpu_fraction)
        row['gpus'] = gpus
        # One request in eight asks for each class.
        asked = args.duration * len(args.connections) * 1500 / 8
        short = [name for name, total in gpus.items() if total < asked]
        if short:
            row['notes'].append(
                '%s: %s GPUs, fewer than %.0f requests of a run at 1,500 '
                'schedules/s: a fast run gets 409s once they are taken' % (
                    ', '.join(short), gpus, asked))


def _register(srv, n, args, workdir, row):
    prefix = 'bench-%d-%s' % (n, os.path.basename(workdir))
    reg = register(srv, n, args.register_connections, args.register_timeout,
                   prefix, batch=args.register_batch,
                   gpu_fraction=args.gpu_fraction, policies=args.policies)
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
    return prefix


def _schedule_run(srv, n, args, tool, workdir, row, prefix, connections):
    """The schedule run at ``connections``; py-spy and trickle around it."""
    spy = raw = None
    if args.profile:
        raw = os.path.join(workdir, 'py-spy-%d.raw' % connections)
        spy = profile.start(srv.worker_pids()[0], args.duration, raw)
        if spy is None:
            row['notes'].append('--profile: py-spy is not installed')
    trickle = None
    if args.trickle:
        # Numbered past the fleet and the earlier runs' trickles.
        first = n + connections * 1_000_000
        trickle = bench_trickle.Trickle(
            srv.host, srv.port, srv.tokens['admin'], args.trickle,
            prefix + '-t', first, gpu_fraction=args.gpu_fraction)

    def drive():
        if trickle is not None:
            trickle.start()
        try:
            return loadgen.run(
                tool, srv.host, srv.port, 'POST', '/v1/schedules',
                fleet.schedule_mix(args.gpu_fraction), srv.tokens['member'],
                connections, args.duration)
        finally:
            if trickle is not None:
                row['trickle'] = trickle.stop()

    races = claim_races(srv)
    row['schedule'] = _measured(srv, row, drive)
    _show('schedule', row['schedule'])
    races = claim_races(srv) - races
    placed = row['schedule']['statuses'].get(201, 0)
    log('  claims lost to a race and placed again: %d (%.1f%% of %d '
        'placed)' % (races, 100.0 * races / max(placed, 1), placed))
    row['notes'].append('%d claims lost to a race during the schedule run'
                        % races)
    if trickle is not None:
        t = row['trickle']
        log('  trickle   %d hosts registered during the run (%.1f/s '
            'asked), p99 %s ms, errors %d, non-2xx %d' % (
                t['hosts_created'], t['rate'],
                '%.1f' % t['p99'] if t['p99'] is not None else 'n/a',
                t['errors'], t['non_2xx']))
    if spy is not None:
        suffix = '-' + args.label if args.label else ''
        # One file per setup, so runs with other options keep theirs.
        slug = re.sub(r'[^a-z0-9]+', '-', setup_name(args).lower())
        path = profile.finish(
            spy, raw, os.path.join(
                args.output_dir, 'profile%s-%d-c%d-%s.txt' % (
                    suffix, n, connections, slug.strip('-'))),
            'py-spy, one worker, POST /v1/schedules at %d hosts, %d '
            'connections (%s)' % (n, connections, setup_name(args)))
        log('  profile   %s' % path)


def _dry_runs(srv, args, tool, seconds, rows):
    """The single-client dry run (``--policies``: both), into ``rows``."""
    _settle(srv, rows[-1])
    dry_run = loadgen.run(
        tool, srv.host, srv.port, 'POST', '/v1/schedules',
        fleet.schedule_body(dry_run=True), srv.tokens['member'], 1, seconds)
    _show('dry_run', dry_run)
    for row in rows:
        row['dry_run'] = dry_run
    if args.policies:
        _policies_dry_run(srv, tool, seconds, dry_run, rows)


def _policies_dry_run(srv, tool, seconds, plain, rows):
    """``fleet.policies_body``'s dry run, after placing its group's first
    members with the same body, beside the plain one's, into ``rows``."""
    member = srv.tokens['member']
    outcome = httpload.run_all(srv.host, srv.port, [
        httpload.json_request('POST', '/v1/schedules',
                              fleet.policies_body(), member)
        for _ in fleet.GROUP_MEMBERS], connections=1, max_seconds=60)
    if set(outcome.statuses) != {201}:
        raise SystemExit('--policies: the group\'s members were not placed '
                         '(statuses %s, %s)' % (dict(outcome.statuses),
                                                outcome.samples[:1]))
    result = loadgen.run(
        tool, srv.host, srv.port, 'POST', '/v1/schedules',
        fleet.policies_body(dry_run=True), member, 1, seconds)
    _show('policies', result)
    note = ('dry run with placement policies: p50 %s ms, the plain '
            'one\'s %s' % (result['p50'], plain['p50']))
    if result['p50'] and plain['p50']:
        note += ' (%.2fx)' % (result['p50'] / plain['p50'])
    log('  %s' % note)
    for row in rows:
        row['dry_run_policies'] = result
        row['notes'].append(note)


def run_one(n, args, tool, workdir):
    """Benchmark one host count; return its rows, one per connections."""
    template = {'hosts': n, 'setup': setup_name(args),
                'database': results.database_name(args.db),
                'server': args.server, 'workers': args.workers,
                'notes': [], 'dry_run': None,
                'loadavg_before': os.getloadavg()}
    _check_capacity(n, args, template)
    rows = []
    dry_seconds = (args.dry_run_duration if args.dry_run_duration
                   else min(args.duration, 10.0))
    srv = bench_server.BenchServer(workdir, workers=args.workers,
                                   db_url=args.db, server=args.server,
                                   threads=args.threads)
    srv.start()
    try:
        log('== %d hosts: %s at %s, pids %s' % (
            n, template['setup'], srv.url, srv.worker_pids()))
        if args.gpu_fraction:
            create_gpu_classes(srv)
        prefix = _register(srv, n, args, workdir, template)
        if args.restart:
            srv.stop()
            srv.start()
            log('  restarted: pids %s' % srv.worker_pids())
        _warm_up(srv)
        for connections in args.connections:
            row = dict(template, connections=connections,
                       notes=list(template['notes']))
            rows.append(row)
            log('  -- %d connections' % connections)
            row['baseline'] = _measured(srv, row, functools.partial(
                loadgen.run, tool, srv.host, srv.port, 'GET', '/', None,
                None, connections, args.duration))
            _show('GET /', row['baseline'])
            _schedule_run(srv, n, args, tool, workdir, row, prefix,
                          connections)
            if row['baseline']['rate']:
                log('  schedule / baseline = %.3f' % (
                    row['schedule']['rate'] / row['baseline']['rate']))
        _dry_runs(srv, args, tool, dry_seconds, rows)
        rss = worker_memory(srv)
        log('  worker RSS MB %s (peak %s)' % (
            rss['workers_rss_mb'], rss['max_hwm_mb']))
        for row in rows:
            row['rss'] = rss
    finally:
        status = srv.stop()
        if status not in (0, None):
            for row in rows:
                row['notes'].append('%s exited with status %s'
                                    % (args.server, status))
    inprocess_result = None
    if not args.skip_inprocess:
        inprocess_result = inprocess.measure(srv.config())
        ip = inprocess_result
        if 'error' in ip:
            log('  in-process timing failed: %s' % ip['error'])
        else:
            log('  in-process (%d hosts): host_table %.1f ms cold, %.2f ms '
                'warm, select_destinations %.1f ms, rank %.1f ms (medians)'
                % (ip['hosts_seen'], ip['host_table_cold']['median_ms'],
                   ip['host_table']['median_ms'],
                    ip['select_destinations']['median_ms'],
                    ip['rank']['median_ms']))
    for row in rows:
        row['loadavg_after'] = os.getloadavg()
        if inprocess_result is not None:
            row['inprocess'] = inprocess_result
    return rows


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.rerender:
        return results.rerender(args)
    tool = loadgen.choose_tool(args.tool)
    import sora_api
    source = os.path.dirname(os.path.dirname(os.path.abspath(
        sora_api.__file__)))
    info = report.machine(source)
    log('Sora API benchmark: hosts %s, %.0f s per run, %s, connections '
        '%s, tool %s, sora_api from %s' % (
            args.hosts, args.duration, setup_name(args), args.connections,
            tool, source))
    parent = args.workdir or tempfile.mkdtemp(prefix='sora-bench-')
    os.makedirs(parent, exist_ok=True)
    rows = []
    started = time.monotonic()
    try:
        for n in args.hosts:
            workdir = tempfile.mkdtemp(prefix='n%d-' % n, dir=parent)
            try:
                rows.extend(run_one(n, args, tool, workdir))
            finally:
                if not args.keep:
                    shutil.rmtree(workdir, ignore_errors=True)
            written = results.write(args, info, rows)
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
