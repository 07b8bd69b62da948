#!/usr/bin/env python3
"""Benchmark changing placements (issue 13): move, resize and drain.

    .venv/bin/python benchmarks/changes.py --hosts 10000 --duration 10 \\
        [--connections 8 64] [--db URL] [--workers 2] [--schedules 1000]

It starts a fresh server (``sora-api``, SQLite in its own state directory
by default or ``--db``, token auth), registers the fleet through the API
(as ``run.py`` does), creates ``--schedules`` one-instance schedules, then
for each connection count drives, each for ``--duration`` seconds:
``POST /v1/schedules`` (1 instance, claimed), ``POST
/v1/schedules/{id}/move`` (the one instance of one of those schedules, each
connection on other schedules than the rest) and ``POST
/v1/schedules/{id}/resize`` (each schedule alternately to two sizes, so
every resize is a real change). Each run reports req/s, p50/p95/p99, the
server's CPU ms per request and the load average around it, and move and
resize are compared with the schedule run of the same connection count
(the issue asks for at most 1.5x).

Then ``--drains`` times: a new host, larger than any of the fleet, takes
``--drain-instances`` one-instance schedules (the scheduler's weighers put
each on it; the answer is checked), and ``POST /v1/hosts/{id}/drain``
moves them off: its wall time (the issue asks for under 1 s at 10k hosts)
and server CPU, and that every instance moved (no ``stuck``, the host has
no instance left). The instances are not placed with ``hints.force_hosts``:
a move keeps the schedule's own request, so forced instances could move
nowhere and would all be stuck. The server runs with ``[filter_scheduler]
max_instances_per_host = 1000`` (default 50), so one host can take them.

It prints every figure and merges its rows (one per setup, host count and
connection count, and one for the drains) into ``RESULTS-changes.md`` and
``results-changes.json`` in ``--output-dir`` (default: this directory),
so a run on SQLite and one on PostgreSQL (``--db``) fill one table.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request

# Run as a script from anywhere (appended: a PYTHONPATH tree still wins).
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks import fleet  # noqa: E402
from benchmarks import httpload  # noqa: E402
from benchmarks import loadgen  # noqa: E402
from benchmarks import profile  # noqa: E402
from benchmarks import report  # noqa: E402
from benchmarks import results  # noqa: E402
from benchmarks import run as bench_run  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
# The targets: move and resize at most this times a schedule's
# cost, a drain of a host with 100 instances at 10k hosts under 1 s.
MAX_RATIO = 1.5
MAX_DRAIN_SECONDS = 1.0


def resize_bodies(run):
    """The two sizes resize run number ``run`` alternates between.

    Each pass over the schedules resizes them to the other size; the sizes
    of no two runs are the same, so a run's first pass changes every
    schedule whichever size the run before left it at.
    """
    return [{'resources': {'vcpus': 1 + k, 'disk_gb': 1 + k,
                           'memory_mb': 256 * (2 + 2 * run + k)}}
            for k in (0, 1)]

# The drained host: more of everything than any host of the fleet, so the
# weighers (free RAM, CPU and disk, spreading) put every new instance on it.
DRAIN_HOST = {'vcpus': 1024, 'memory_mb': 4194304, 'disk_gb': 65536}
# ``[filter_scheduler] max_instances_per_host`` (default 50) must let the
# drained host carry its instances.
SERVER_OPTIONS = {'filter_scheduler': {'max_instances_per_host': 1000}}
OPERATIONS = ('schedule', 'move', 'resize')


def parse_args(argv):
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument('--hosts', type=int, default=10000,
                   help='hosts registered through the API (default 10000)')
    p.add_argument('--duration', type=float, default=10.0,
                   help='seconds of each load run (default 10)')
    p.add_argument('--connections', type=int, nargs='+', default=[8, 64],
                   help='concurrent connections; a schedule, move and '
                        'resize run for each (default 8 64)')
    p.add_argument('--schedules', type=int, default=1000,
                   help='schedules the move and resize runs cycle through '
                        '(even, and well above the connections; default '
                        '1000)')
    p.add_argument('--drains', type=int, default=3,
                   help='hosts drained, one after the other (default 3)')
    p.add_argument('--drain-instances', type=int, default=100,
                   help='instances on each drained host (default 100)')
    bench_run.add_server_options(p)
    p.add_argument('--output-dir', default=HERE,
                   help='where RESULTS-changes.md and results-changes.json '
                        'go')
    p.add_argument('--note', action='append', default=[],
                   help='a line added to the notes of RESULTS-changes.md')
    p.add_argument('--fresh', action='store_true',
                   help='start the results table anew instead of merging '
                        'into the rows of earlier runs')
    p.add_argument('--profile', action='store_true',
                   help='sample one worker with py-spy during each run; '
                        'top lines in profile-changes-OPERATION-N-cC.txt')
    args = p.parse_args(argv)
    if args.schedules % 2 or args.schedules <= 2 * max(args.connections):
        p.error('--schedules must be even and more than twice the most '
                'connections, so no two requests move one schedule at once')
    # What run.py's registration reads: the plain fleet.
    args.gpu_fraction = 0.0
    args.policies = False
    return args


def call(srv, method, path, body=None, role='admin'):
    """``(status, JSON answer or None)`` of one request."""
    request = urllib.request.Request(
        srv.url + path, method=method,
        data=None if body is None else json.dumps(body).encode('utf-8'),
        headers={'X-Auth-Token': srv.tokens[role],
                 'Content-Type': 'application/json',
                 'Accept': 'application/json'})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            status, data = response.status, response.read()
    except urllib.error.HTTPError as e:
        status, data = e.code, e.read()
    return status, (json.loads(data) if data else None)


def create_schedules(srv, count, body, connections):
    """POST ``count`` schedules of ``body``; the number answered 201."""
    requests = (httpload.json_request('POST', '/v1/schedules', body,
                                      srv.tokens['member'])
                for _ in range(count))
    outcome = httpload.run_all(srv.host, srv.port, requests,
                               connections=connections, max_seconds=600)
    return outcome.statuses.get(201, 0), outcome


def schedule_ids(srv):
    """Every schedule id of the benchmark's project, page by page."""
    ids, marker = [], None
    while True:
        status, body = call(srv, 'GET', '/v1/schedules?limit=1000' + (
            '&marker=' + marker if marker else ''), role='member')
        if status != 200:
            raise SystemExit('GET /v1/schedules: %s %s' % (status, body))
        page = [s['id'] for s in body['schedules']]
        ids.extend(page)
        if not body.get('links') or not page:
            return ids
        marker = page[-1]


def _load_run(srv, args, tool, row, name, path, body, connections):
    """One measured run (run.py's ``_measured``) with the load average."""
    spy = raw = None
    if args.profile:
        raw = os.path.join(srv.workdir, 'py-spy-%s-%d.raw' % (name,
                                                              connections))
        spy = profile.start(srv.worker_pids()[0], args.duration, raw)
    loadavg = os.getloadavg()
    result = bench_run._measured(srv, row, lambda: loadgen.run(
        tool, srv.host, srv.port, 'POST', path, body, srv.tokens['member'],
        connections, args.duration))
    if spy is not None:
        bench_run.log('  profile   %s' % profile.finish(
            spy, raw, os.path.join(
                args.output_dir, 'profile-changes-%s-%d-c%d.txt' % (
                    name, args.hosts, connections)),
            'py-spy, one worker, %s at %d hosts, %d connections (%s)' % (
                name, args.hosts, connections, row['setup'])))
    result['loadavg_before'] = loadavg
    result['loadavg_after'] = os.getloadavg()
    row[name] = result
    bench_run._show(name, result)
    bench_run.log(
        '            server CPU %.2f ms/request, load average %.1f -> %.1f'
        % (result['cpu_ms'] or 0, loadavg[0], result['loadavg_after'][0]))


def compare(row):
    """Move's and resize's req/s and CPU ms as a ratio of schedule's."""
    base = row['schedule']
    for name in ('move', 'resize'):
        r = row[name]
        r['rate_ratio'] = (base['rate'] / r['rate']
                           if r['rate'] else None)
        r['cpu_ratio'] = (r['cpu_ms'] / base['cpu_ms']
                          if r['cpu_ms'] and base['cpu_ms'] else None)
        bench_run.log('  %-9s costs %s x a schedule in CPU ms, %s x in req/s '
            '(at most %.1f x asked)' % (
                name, _ratio(r['cpu_ratio']), _ratio(r['rate_ratio']),
                MAX_RATIO))


def _ratio(value):
    return 'n/a' if value is None else '%.2f' % value


def drain_once(srv, number, prefix, instances):
    """Fill a new host with ``instances`` instances, drain it; the figures."""
    name = '%s-drain-%d' % (prefix, number)
    status, body = call(srv, 'POST', '/v1/hosts', dict(
        DRAIN_HOST, name=name, availability_zone=fleet.ZONES[0]))
    if status != 201:
        raise SystemExit('POST /v1/hosts %s: %s %s' % (name, status, body))
    host_id = body['host']['id']
    # One connection: concurrent claims would all pick this host and race.
    created, outcome = create_schedules(srv, instances,
                                        fleet.schedule_body(), 1)
    _, host = call(srv, 'GET', '/v1/hosts/' + host_id)
    result = {'host': name, 'schedules_created': created,
              'instances_before': host['host']['instances'],
              'loadavg_before': os.getloadavg()}
    srv.wait_idle()
    cpu = srv.cpu_seconds()
    started = time.perf_counter()
    status, body = call(srv, 'POST', '/v1/hosts/%s/drain' % host_id,
                        {'reason': 'benchmark'})
    result['seconds'] = time.perf_counter() - started
    srv.wait_idle()
    result['server_cpu_ms'] = (srv.cpu_seconds() - cpu) * 1000.0
    result['loadavg_after'] = os.getloadavg()
    result['status'] = status
    _, host = call(srv, 'GET', '/v1/hosts/' + host_id)
    result['instances_after'] = host['host']['instances']
    result['enabled_after'] = host['host']['enabled']
    if status == 200:
        result['moves'] = len(body['moves'])
        result['stuck'] = len(body['stuck'])
        result['moved_elsewhere'] = all(m['to_host'] != name
                                        for m in body['moves'])
    else:
        result.update(moves=0, stuck=None, moved_elsewhere=False,
                      error=body)
    result['all_moved'] = (
        status == 200 and result['stuck'] == 0
        and result['moves'] == result['instances_before']
        and result['instances_after'] == 0 and result['moved_elsewhere'])
    bench_run.log(
        '  drain     %d instances on %s: %.3f s wall, server CPU %.0f ms, '
        '%d moved, %s stuck, %d left on the host, all moved: %s, load '
        'average %.1f -> %.1f' % (
            result['instances_before'], name, result['seconds'],
            result['server_cpu_ms'], result['moves'], result['stuck'],
            result['instances_after'], result['all_moved'],
            result['loadavg_before'][0], result['loadavg_after'][0]))
    if created < instances:
        bench_run.log('            only %d of %d schedules created: %s' % (
            created, instances, outcome.samples[:2]))
    return result


def run_benchmark(args, tool, workdir):
    setup = '%s, sora-api, workers=%d' % (results.database_name(args.db),
                                          args.workers)
    template = {'hosts': args.hosts, 'setup': setup, 'notes': []}
    rows = []
    srv = bench_server.BenchServer(workdir, workers=args.workers,
                                   db_url=args.db, options=SERVER_OPTIONS)
    srv.start()
    try:
        bench_run.log('== %d hosts: %s at %s, pids %s' % (
            args.hosts, setup, srv.url, srv.worker_pids()))
        prefix = bench_run._register(srv, args.hosts, args, workdir,
                                     template)
        bench_run._warm_up(srv)
        created, outcome = create_schedules(srv, args.schedules,
                                            fleet.schedule_body(), 8)
        if created < args.schedules:
            raise SystemExit('created %d of %d schedules: %s' % (
                created, args.schedules, outcome.samples[:2]))
        ids = schedule_ids(srv)[:args.schedules]
        bench_run.log('  created   %d schedules to move and resize' % len(ids))
        move_paths = ['/v1/schedules/%s/move' % i for i in ids]
        resize_paths = ['/v1/schedules/%s/resize' % i for i in ids]
        for run, connections in enumerate(args.connections):
            row = dict(template, connections=connections, notes=[])
            rows.append(row)
            bench_run.log('  -- %d connections' % connections)
            _load_run(srv, args, tool, row, 'schedule', '/v1/schedules',
                      fleet.schedule_body(), connections)
            _load_run(srv, args, tool, row, 'move', move_paths,
                      {'instance_index': 0}, connections)
            _load_run(srv, args, tool, row, 'resize', resize_paths,
                      resize_bodies(run), connections)
            compare(row)
        bench_run._settle(srv, template)
        drains = [drain_once(srv, k, prefix, args.drain_instances)
                  for k in range(args.drains)]
        rows.append(dict(template, connections='drain', drains=drains))
    finally:
        status = srv.stop()
        if status not in (0, None):
            for row in rows:
                row['notes'].append('sora-api exited with status %s'
                                    % status)
    return rows


def _lat(r):
    return ' / '.join(report._num(r[p], 1) for p in ('p50', 'p95', 'p99'))


def _load(result):
    return '%.1f → %.1f' % (result['loadavg_before'][0],
                            result['loadavg_after'][0])


def _vs_schedule(r, key):
    value = r.get(key)
    if value is None:
        return '—'
    return '%.2f× %s' % (value, '✓' if value <= MAX_RATIO else '✗')


def markdown(info, rows, command, notes=()):
    lines = [
        '# Changing placements: move, resize, drain (issue 13)', '',
        'Written by `benchmarks/changes.py`; the last run: `%s`.' % command,
        '',
        'Machine: %s, %s cores, %s GB, Python %s, SQLite %s, %s; %s; '
        'sora_api %s.' % (info['cpu'], info['cores'], info['memory_gb'],
                          info['python'], info['sqlite'], info['os'],
                          info['wrk'], info['commit']),
        '',
        'Each operation ran for the same time over the same connections. '
        '"vs schedule" is move\'s or resize\'s server CPU ms per request '
        'divided by `POST /v1/schedules`\' (the steadier figure on a shared '
        'machine), and schedule\'s req/s divided by theirs; the issue asks '
        'for at most %.1f×. The load average (1 min) is read before and '
        'after each run: the machine is shared.' % MAX_RATIO, '',
        '| setup | hosts | connections | operation | req/s | p50 / p95 / '
        'p99 ms | server CPU ms/req | CPU vs schedule | req/s vs schedule '
        '| errors / non-2xx | load average |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for row in rows:
        if row['connections'] == 'drain':
            continue
        for name in OPERATIONS:
            r = row[name]
            lines.append('| %s | %s | %d | %s | %s | %s | %s | %s | %s | '
                         '%d / %d | %s |' % (
                             row['setup'], '{:,}'.format(row['hosts']),
                             row['connections'], name,
                             report._num(r['rate']), _lat(r),
                             report._num(r['cpu_ms'], 2),
                             _vs_schedule(r, 'cpu_ratio'),
                             _vs_schedule(r, 'rate_ratio'),
                             r['errors'], r['non_2xx'], _load(r)))
    lines += [
        '', 'Drains: a host holding the instances (new, larger than any of '
        'the fleet, so the weighers put every new instance on it), '
        '`POST /v1/hosts/{id}/drain`, its wall time as the client saw it '
        '(the issue asks for under %.0f s at 10k hosts) and that every '
        'instance moved (no `stuck`, none left on the host).'
        % MAX_DRAIN_SECONDS, '',
        '| setup | hosts | instances on the host | wall s | server CPU ms '
        '| moved | stuck | left on the host | all moved | load average |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ]
    for row in rows:
        for d in row.get('drains', ()):
            lines.append('| %s | %s | %d | %.3f %s | %.0f | %d | %s | %d | '
                         '%s | %s |' % (
                             row['setup'], '{:,}'.format(row['hosts']),
                             d['instances_before'], d['seconds'],
                             '✓' if d['seconds'] < MAX_DRAIN_SECONDS
                             else '✗', d['server_cpu_ms'], d['moves'],
                             d['stuck'], d['instances_after'],
                             'yes' if d['all_moved'] else 'NO', _load(d)))
    notes = list(notes) + [n for row in rows for n in row['notes']]
    if notes:
        lines += ['', 'Notes:', ''] + ['- %s' % n for n in
                                       dict.fromkeys(notes)]
    return '\n'.join(lines) + '\n'


def write(args, info, rows, command):
    """Merge ``rows`` (and ``--note``s) into the table of earlier runs;
    the paths written."""
    json_path = os.path.join(args.output_dir, 'results-changes.json')
    notes = list(args.note)
    if not args.fresh and os.path.exists(json_path):
        with open(json_path) as f:
            earlier = json.load(f)
        rows = results.merge_rows(earlier['rows'], rows)
        notes = earlier.get('notes', []) + [
            n for n in notes if n not in earlier.get('notes', [])]
    md = os.path.join(args.output_dir, 'RESULTS-changes.md')
    with open(md, 'w') as f:
        f.write(markdown(info, rows, command, notes))
    with open(json_path, 'w') as f:
        json.dump({'machine': info, 'rows': rows, 'notes': notes}, f,
                  indent=1, default=str)
    return [md, json_path]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    tool = loadgen.choose_tool(args.tool)
    import sora_api
    source = os.path.dirname(os.path.dirname(os.path.abspath(
        sora_api.__file__)))
    info = report.machine(source)
    bench_run.log('Sora API changes benchmark: %d hosts, %.0f s per run, '
        'connections %s, tool %s, sora_api from %s' % (
            args.hosts, args.duration, args.connections, tool, source))
    os.makedirs(args.output_dir, exist_ok=True)
    parent = args.workdir or tempfile.mkdtemp(prefix='sora-bench-')
    os.makedirs(parent, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='changes-%d-' % args.hosts,
                               dir=parent)
    try:
        rows = run_benchmark(args, tool, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
            if not args.workdir:
                shutil.rmtree(parent, ignore_errors=True)
    command = 'benchmarks/changes.py ' + ' '.join(
        a if '://' not in a else '"$URL"' for a in argv)
    written = write(args, info, rows, command)
    bench_run.log('Wrote %s' % ', '.join(written))
    return rows


if __name__ == '__main__':
    main()
