"""The results table of ``benchmarks/run.py``: rows merged by setup.

Each row is one setup (database, server, workers, GPU fleet, trickle,
restart), host count and connection count. ``write`` merges a run's rows
into the label's ``results*.json`` (replacing only rows with the same
key, keeping the earlier notes) and renders ``RESULTS*.md`` and the plot
from all of them, so runs on SQLite, PostgreSQL and MariaDB, or with
``sora-api`` and gunicorn, fill one table.
"""

import json
import os

from benchmarks import fleet
from benchmarks import report


def database_name(url):
    """SQLite, PostgreSQL or MariaDB/MySQL: the table's name for ``url``."""
    backend = (url or 'sqlite').split(':', 1)[0].split('+', 1)[0]
    return {'postgresql': 'PostgreSQL', 'mysql': 'MariaDB/MySQL',
            'mariadb': 'MariaDB/MySQL'}.get(backend, 'SQLite')


def row_key(row):
    """Rows of one setup, host count and connection count replace each
    other; every other row of the table stays."""
    return row.get('setup'), row['hosts'], row.get('connections')


def merge_rows(earlier, rows):
    """``earlier`` with the rows of the same key replaced by ``rows``'."""
    new = {row_key(r): r for r in rows}
    merged = [new.pop(row_key(r), r) for r in earlier]
    return merged + [r for r in rows if row_key(r) in new]


def earlier_rows(path):
    """Rows of an earlier results JSON, keyed as rows are now.

    Rows written before rows had their own setup and connections (one
    run per file) take them from that file's settings.
    """
    with open(path) as f:
        data = json.load(f)
    settings = data.get('settings', {})
    for row in data['rows']:
        if 'setup' not in row:
            row['database'] = database_name(
                None if 'SQLite' in str(settings.get('database'))
                else settings.get('database'))
            row['server'] = 'sora-api'
            row['workers'] = settings.get('workers')
            row['setup'] = '%s, sora-api, workers=%s' % (
                row['database'], row['workers'])
            row['connections'] = settings.get(
                'connections (schedule, GET /)')
        for phase in ('baseline', 'schedule', 'dry_run'):
            r = row.get(phase)
            if r and not r['requests']:
                # Nothing finished within the run: no latency to show.
                r.update(p50=None, p95=None, p99=None, max=None)
            if r:
                r['statuses'] = {int(k): v for k, v in r['statuses'].items()}
    return data['rows']


def write(args, info, rows, settings=None, merge=True):
    """Merge ``rows`` into the label's table and write it; returns paths."""
    suffix = '-' + args.label if args.label else ''
    os.makedirs(args.output_dir, exist_ok=True)
    settings = settings or {
        'workers, server, database, connections': 'per row (setup column)',
        'dry_run connections': 1,
        'duration s (GET /, schedule)': args.duration,
        'dry_run duration s': (args.dry_run_duration
                               or min(args.duration, 10.0)),
        'auth': 'token (X-Auth-Token)',
        'schedule bodies (each connection cycles through them)': ' '.join(
            json.dumps(b) for b in fleet.schedule_mix(args.gpu_fraction)),
        'register connections': args.register_connections,
        'hosts per registration request': args.register_batch,
        'load tool': rows[0]['schedule']['tool'] if rows and rows[0].get(
            'schedule') else args.tool,
    }
    json_path = os.path.join(args.output_dir, 'results%s.json' % suffix)
    notes = list(args.note)
    if merge and not args.fresh and os.path.exists(json_path):
        rows = merge_rows(earlier_rows(json_path), rows)
        with open(json_path) as f:
            earlier_notes = json.load(f).get('notes', [])
        notes = earlier_notes + [n for n in notes if n not in earlier_notes]
    title = 'Sora API benchmark' + (' (%s)' % args.label if args.label
                                    else '')
    md = os.path.join(args.output_dir, 'RESULTS%s.md' % suffix)
    with open(md, 'w') as f:
        f.write(report.markdown(title, info, settings, rows, notes))
    with open(json_path, 'w') as f:
        json.dump({'machine': info, 'settings': settings, 'rows': rows,
                   'notes': notes}, f, indent=1, default=str)
    written = [md]
    if not args.no_plot:
        png = os.path.join(args.output_dir, 'results%s.png' % suffix)
        try:
            if report.plot(rows, png, title):
                written.append(png)
        except ImportError:
            print('matplotlib is not installed: no plot', flush=True)
    return written


def rerender(args):
    """Rewrite RESULTS*.md and the plot from ``args.rerender``'s JSON."""
    with open(args.rerender) as f:
        data = json.load(f)
    rows = earlier_rows(args.rerender)
    args.note = data.get('notes', []) + args.note
    written = write(args, data['machine'], rows, data['settings'],
                    merge=False)
    print('Wrote %s' % ', '.join(written), flush=True)
    return rows
