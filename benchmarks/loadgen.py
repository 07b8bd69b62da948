"""Drive one request for a bounded time with ``wrk``, or in pure Python.

``body`` is one JSON body, or a list of them that each connection sends
in turn (a mix). ``path`` is one path, or a list of them sent in turn,
each pass over the list with the next body: a request on each of many
resources (``/v1/schedules/{id}/move``), never two at once on the same
one while the list is longer than the connections (and, for wrk, a
multiple of its two threads). Both drivers return the same summary (a
dict): ``tool``, ``requests``, ``seconds``, ``rate`` (req/s),
``p50``/``p95``/``p99``/``max`` (ms), ``errors`` (socket errors and
timeouts), ``non_2xx`` and ``statuses``.
"""

import itertools
import json
import os
import shutil
import subprocess

from benchmarks import httpload

LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'wrk',
                   'request.lua')
# A request slower than this counts as a wrk timeout error.
WRK_TIMEOUT = '60s'


def wrk_available():
    return shutil.which('wrk') is not None


def choose_tool(requested='auto'):
    if requested == 'auto':
        return 'wrk' if wrk_available() else 'python'
    if requested == 'wrk' and not wrk_available():
        raise SystemExit('wrk is not installed (apt-get install wrk), '
                         'or use --tool python')
    return requested


def run(tool, host, port, method, path, body=None, token=None,
        connections=8, seconds=10.0):
    if tool == 'wrk':
        return run_wrk(host, port, method, path, body, token, connections,
                       seconds)
    return run_python(host, port, method, path, body, token, connections,
                      seconds)


def _entries(path, body):
    """``(paths, bodies)``, each a list."""
    bodies = body if isinstance(body, list) else [body]
    return (path if isinstance(path, list) else [path]), bodies


def run_wrk(host, port, method, path, body, token, connections, seconds):
    paths, bodies = _entries(path, body)
    threads = max(1, min(2, connections))
    env = dict(os.environ, SORA_METHOD=method, SORA_TOKEN=token or '',
               SORA_BODIES='\n'.join(json.dumps(b) for b in bodies
                                     if b is not None),
               SORA_PATHS='\n'.join(paths) if len(paths) > 1 else '',
               SORA_THREADS=str(threads))
    command = ['wrk', '-t%d' % threads, '-c%d' % connections,
               '-d%ds' % max(1, round(seconds)), '--timeout', WRK_TIMEOUT,
               '-s', LUA, 'http://%s:%d%s' % (host, port, paths[0])]
    done = subprocess.run(command, env=env, capture_output=True, text=True,
                          timeout=seconds + 120, check=False)
    line = next((ln for ln in done.stdout.splitlines()
                 if ln.startswith('SORA_WRK ')), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError('wrk failed (%s):\n%s\n%s' % (
            done.returncode, done.stdout, done.stderr))
    data = json.loads(line[len('SORA_WRK '):])
    statuses = {int(k): v for k, v in data['statuses'].items()}
    secs = data['duration_us'] / 1e6
    lat = data['latency_us']
    if not data['requests']:
        # Nothing finished within the run: there is no latency to show.
        lat = dict.fromkeys(lat)
    return {
        'tool': 'wrk',
        'requests': data['requests'],
        'seconds': secs,
        'rate': data['requests'] / secs if secs else 0.0,
        'p50': _ms(lat['p50']), 'p95': _ms(lat['p95']),
        'p99': _ms(lat['p99']), 'max': _ms(lat['max']),
        'errors': sum(v for k, v in data['errors'].items()
                      if k != 'status'),
        'non_2xx': sum(n for s, n in statuses.items()
                       if not 200 <= s < 300),
        'statuses': statuses,
        'samples': [],
    }


def _ms(microseconds):
    return None if microseconds is None else microseconds / 1000.0


def run_python(host, port, method, path, body, token, connections,
               seconds):
    paths, bodies = _entries(path, body)
    requests = itertools.cycle([httpload.json_request(method, p, b, token)
                                for b in bodies for p in paths])
    outcome = httpload.drive(host, port, lambda: next(requests),
                             connections=connections, seconds=seconds)
    return {
        'tool': 'python',
        'requests': outcome.requests,
        'seconds': outcome.seconds,
        'rate': outcome.rate,
        'p50': outcome.percentile(50), 'p95': outcome.percentile(95),
        'p99': outcome.percentile(99), 'max': outcome.percentile(100),
        'errors': outcome.errors,
        'non_2xx': outcome.non_2xx,
        'statuses': dict(outcome.statuses),
        'samples': outcome.samples,
    }
