"""Machine description, the results table (Markdown) and the PNG plot."""

import os
import platform
import sqlite3
import subprocess
import sys

# The targets (2 cores, workers=2, SQLite, 8 connections).
TARGETS = {
    'schedule_rate': {1000: 1200, 10000: 1000, 100000: 600},
    'schedule_p99': {1000: 20, 10000: 25, 100000: 50},
    'dry_run_p50': {1000: 3, 10000: 5, 100000: 20},
    'rss_mb': {100000: 300},
}


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ''


def _git(source_dir, *args):
    try:
        return subprocess.run(
            ['git', '-C', source_dir] + list(args), capture_output=True,
            text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def machine(source_dir):
    cpu = next((line.split(':', 1)[1].strip()
                for line in _read('/proc/cpuinfo').splitlines()
                if line.startswith('model name')), platform.processor())
    mem = next((line.split()[1] for line in _read('/proc/meminfo')
                .splitlines() if line.startswith('MemTotal:')), None)
    os_name = next((line.split('=', 1)[1].strip('"')
                    for line in _read('/etc/os-release').splitlines()
                    if line.startswith('PRETTY_NAME=')), platform.system())
    commit = _git(source_dir, 'rev-parse', 'HEAD')
    dirty = _git(source_dir, 'status', '--porcelain', '--', 'sora_api')
    try:
        wrk = subprocess.run(['wrk', '-v'], capture_output=True, text=True,
                             timeout=10).stdout.splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        wrk = 'not installed'
    return {
        'cpu': cpu,
        'cores': os.cpu_count(),
        'memory_gb': round(int(mem) / 1024 / 1024, 1) if mem else None,
        'python': sys.version.split()[0],
        'sqlite': sqlite3.sqlite_version,
        'os': '%s (kernel %s)' % (os_name, platform.release()),
        'source': source_dir,
        'commit': (commit or 'not a git checkout') + (
            ' + uncommitted changes in sora_api/' if dirty else ''),
        'wrk': wrk,
    }


def _num(value, digits=0):
    if value is None:
        return 'n/a'
    if digits == 0 and isinstance(value, float) and abs(value) < 100:
        digits = 1  # small rates: 0.9 req/s, not 1
    return '{:,.{}f}'.format(value, digits)


def _vs(value, target, digits=0, better='high'):
    text = _num(value, digits)
    if target is None or value is None:
        return text
    ok = value >= target if better == 'high' else value <= target
    sign = '≥' if better == 'high' else '≤'
    return '%s (%s %s %s)' % (text, sign, _num(target), '✓' if ok else '✗')


def _inproc(row, key):
    data = row.get('inprocess') or {}
    if 'error' in data:
        return 'error'
    return _num((data.get(key) or {}).get('median_ms'), 1)


def _snapshot(row):
    """Host snapshot ms: ``host_table()`` cold / warm, or the older
    ``host_states()`` (which reloaded every host on every call)."""
    data = row.get('inprocess') or {}
    if 'host_states' in data:
        return '%s (every call)' % _inproc(row, 'host_states')
    return '%s / %s' % (_inproc(row, 'host_table_cold'),
                        _inproc(row, 'host_table'))


def _rate_cpu(result):
    """``req/s (CPU ms per request)`` of one run."""
    if not result:
        return 'n/a'
    if result.get('cpu_ms') is None:
        return _num(result['rate'])
    return '%s (%s)' % (_num(result['rate']), _num(result['cpu_ms'], 2))


def table(rows):
    header = ('| setup | hosts | connections | register hosts/s | `GET /` '
              'req/s (server CPU ms/req) | schedule req/s (target) | '
              'schedule server CPU ms/req | schedule p50 / p95 / p99 ms '
              '(p99 target) | schedule errors / non-2xx | schedule / '
              'baseline | dry_run p50 ms, 1 client (target) | filter+weigh '
              'ms: select / rank | host snapshot ms, cold / warm | worker '
              'RSS MB, max (peak) |')
    lines = [header, '|' + ' --- |' * header.count(' | ') + ' --- |']
    for row in rows:
        n = row['hosts']
        base, sched, dry = row['baseline'], row['schedule'], row['dry_run']
        ratio = (sched['rate'] / base['rate']
                 if base and sched and base['rate'] else None)
        rss = row.get('rss') or {}
        created = (row.get('registration') or {}).get('hosts_created', n)
        hosts = _num(n) if created >= n else '%s (only %s registered)' % (
            _num(n), _num(created))
        lines.append('| %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | '
                     '%s / %s | %s | %s | %s / %s | %s | %s |' % (
                         row.get('setup', 'n/a'), hosts,
                         row.get('connections', 'n/a'),
                         _num(row.get('register_rate')),
                         _rate_cpu(base),
                         _vs(sched and sched['rate'],
                             TARGETS['schedule_rate'].get(n)),
                         _num(sched and sched.get('cpu_ms'), 2),
                         _num(sched and sched['p50'], 1),
                         _num(sched and sched['p95'], 1),
                         _vs(sched and sched['p99'],
                             TARGETS['schedule_p99'].get(n), 1, 'low'),
                         _num(sched and sched['errors']),
                         _num(sched and sched['non_2xx']),
                         _num(ratio, 3),
                         _vs(dry and dry['p50'],
                             TARGETS['dry_run_p50'].get(n), 1, 'low'),
                         _inproc(row, 'select_destinations'),
                         _inproc(row, 'rank'),
                         _snapshot(row),
                         '%s (%s)' % (
                             _vs(rss.get('max_rss_mb'),
                                 TARGETS['rss_mb'].get(n), 0, 'low'),
                             _num(rss.get('max_hwm_mb')))))
    return '\n'.join(lines)


def markdown(title, info, settings, rows, notes=()):
    out = ['# %s' % title, '']
    out += ['Written by `benchmarks/run.py`; see README "Benchmarks".', '']
    out += ['## Machine', '']
    for key in ('cpu', 'cores', 'memory_gb', 'os', 'python', 'sqlite',
                'wrk', 'commit', 'source'):
        out.append('- %s: %s' % (key, info.get(key)))
    out += ['', '## Settings', '']
    for key, value in settings.items():
        out.append('- %s: %s' % (key, value))
    out += ['', '## Results', '', table(rows), '']
    out += [
        'Columns: `register` is POST /v1/hosts (or POST /v1/hosts/bulk, '
        'see the settings) over concurrent keep-alive '
        'connections; `schedule` is POST /v1/schedules, 1 instance, '
        'durable claim, with the row\'s connections; `dry_run` the same '
        'body with `"dry_run": true` and one connection; `errors` are '
        'socket errors and timeouts, `non-2xx` every other status. '
        '`server CPU ms/req` is the user + system CPU time of the server\'s '
        'processes (parent and workers, from /proc) over the run, divided '
        'by the requests answered: steadier than req/s on a shared '
        'machine; with a trickle it includes the registrations; a '
        'database server\'s own CPU (PostgreSQL, MariaDB) is not in it. '
        '`setup` is the database, the server (`sora-api` on eventlet, or '
        'gunicorn\'s gthread workers serving `sora_api.wsgi:application`), '
        'its worker processes, and the GPU fleet or host trickle if any; '
        'runs with another setup add rows to this table. '
        '`filter+weigh` is the median in-process time of one '
        '`driver.select_destinations` (incl. `build_spec`) and one '
        '`driver.rank` over the host snapshot; `host snapshot` the time '
        'to get it: before issue 5 `host_states()` loaded every host on '
        'every call, after it `host_table()` loads them once (cold) and '
        'then reads only what changed (warm). RSS is VmRSS '
        'of the biggest worker after the runs, VmHWM in brackets. '
        '✓/✗ compare with the targets of issue 5.', '']
    for row in rows:
        sched = row.get('schedule') or {}
        which = '%s hosts, %s, %s connections' % (
            _num(row['hosts']), row.get('setup', 'n/a'),
            row.get('connections', 'n/a'))
        if sched.get('statuses'):
            out.append('- %s, schedule statuses: %s' % (
                which, sched['statuses']))
        trickle = row.get('trickle')
        if trickle:
            out.append('- %s: %d hosts registered during the schedule run '
                       '(%g/s asked), their p99 %s ms, errors %d, non-2xx '
                       '%d' % (which, trickle['hosts_created'],
                               trickle['rate'], _num(trickle['p99'], 1),
                               trickle['errors'], trickle['non_2xx']))
        if (row.get('inprocess') or {}).get('error'):
            out.append('- %s, in-process timing failed: %s' % (
                which, row['inprocess']['error']))
        if row.get('loadavg_before'):
            out.append('- %s, load average before / after: %s / %s'
                       % (which,
                          ' '.join('%.2f' % x for x in row['loadavg_before']),
                          ' '.join('%.2f' % x
                                   for x in row.get('loadavg_after', ()))))
        for note in row.get('notes', ()):
            out.append('- %s: %s' % (which, note))
    for note in notes:
        out.append('- %s' % note)
    return '\n'.join(out).rstrip() + '\n'


def plot(rows, path, title):
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    rows = [r for r in rows if r.get('schedule')]
    if not rows:
        return False

    def v(value):
        return float('nan') if value is None else value

    # One line per setup and connection count, over host counts.
    series = {}
    for row in rows:
        key = '%s, %s conn' % (row.get('setup', ''), row.get('connections'))
        series.setdefault(key, []).append(row)
    fig, (left, right) = pyplot.subplots(1, 2, figsize=(13, 5))
    for key, group in series.items():
        group.sort(key=lambda r: r['hosts'])
        hosts = [r['hosts'] for r in group]
        left.plot(hosts, [v(r['schedule']['rate']) for r in group], 'o-',
                  label='schedules: ' + key)
        right.plot(hosts, [v(r['schedule']['p99']) for r in group], 'o-',
                   label='schedule p99: ' + key)
    first = sorted(next(iter(series.values())), key=lambda r: r['hosts'])
    left.plot([r['hosts'] for r in first],
              [v(r['baseline'] and r['baseline']['rate']) for r in first],
              's--', label='GET / (baseline): ' + next(iter(series)))
    right.plot([r['hosts'] for r in first],
               [v(r['dry_run'] and r['dry_run']['p50']) for r in first],
               '^-', label='dry_run p50 (1 client)')
    _finish(left, TARGETS['schedule_rate'], 'target', 'requests / s',
            'Throughput')
    _finish(right, TARGETS['schedule_p99'], 'p99 target', 'ms', 'Latency')
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot.close(fig)
    return True


def _finish(axes, targets, target_label, ylabel, title):
    """Targets as a dotted line, log axes over host counts, labels."""
    targets = sorted(targets.items())
    axes.plot([t[0] for t in targets], [t[1] for t in targets], 'k:',
              label=target_label)
    axes.set_xscale('log')
    axes.set_yscale('log')
    axes.set_xlabel('hosts')
    axes.set_ylabel(ylabel)
    axes.set_title(title)
    axes.legend(fontsize='x-small')
