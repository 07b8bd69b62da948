"""The dashboard's first view against 10,000 hosts, in headless Chromium.

    .venv/bin/python benchmarks/dashboard.py [--hosts 10000] [--loads 3]
        [--compare GIT-REF]

One ``sora-api`` worker (SQLite) with ``--hosts`` hosts registered through
``POST /v1/hosts/bulk``; Debian's Chromium (as the browser tests drive it)
opens ``/ui/#fleet`` signed in, ``--loads`` times, each a fresh page load.
Prints, per load, the milliseconds from navigation to the data loaded and to
the view drawn (the page's own marks), the time the API requests took, the
server's CPU time for the load (from /proc), and the load average: the
machine is shared, so the numbers are indicative.

``--compare REF`` also serves the same database with the ``sora_api`` of
that git ref (e.g. ``main``) and alternates the loads between the two, so
a before and an after meet the same moments of a busy machine.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import httpload  # noqa: E402
from benchmarks import longpoll  # noqa: E402
from benchmarks import server as bench_server  # noqa: E402
from tests.functional import browser  # noqa: E402
from tests.functional import server as sora_server  # noqa: E402

_REQUESTS = """return performance.getEntriesByType('resource')
  .filter((e) => e.name.includes('/v1/'))
  .map((e) => [e.name.split('/v1/')[1].split('?')[0], e.startTime,
               e.responseEnd])"""


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _export(ref, directory):
    """The ``sora_api`` package of git ``ref``, under ``directory``."""
    archive = subprocess.run(['git', 'archive', ref, 'sora_api', 'etc'],
                             cwd=ROOT, check=True, capture_output=True)
    subprocess.run(['tar', '-x', '-C', directory], input=archive.stdout,
                   check=True)
    # In the tree, sora_api/etc is a link to ../etc.
    package_etc = os.path.join(directory, 'sora_api', 'etc')
    if os.path.islink(package_etc):
        os.unlink(package_etc)
        shutil.copytree(os.path.join(directory, 'etc'), package_etc)


def _servers(workdir, ref):
    """``(name, server, PYTHONPATH)`` of this tree's server and, with
    ``ref``, of one running that ref's ``sora_api`` on the same database."""
    if not ref:
        return [('this tree', bench_server.BenchServer(workdir), None)]
    database = 'sqlite:///' + os.path.join(workdir, 'shared.sqlite')
    package = os.path.join(workdir, 'ref')
    os.makedirs(package)
    _export(ref, package)
    return [('this tree', bench_server.BenchServer(
                os.path.join(workdir, 'tree'), db_url=database), None),
            (ref, bench_server.BenchServer(
                os.path.join(workdir, 'ref-server'), db_url=database),
             package)]


def _start(srv, pythonpath):
    """Start ``srv`` with ``pythonpath`` first on its module path (the
    server runs in its own directory, so that package wins)."""
    saved = os.environ.get('PYTHONPATH')
    if pythonpath:
        os.environ['PYTHONPATH'] = pythonpath
    try:
        srv.start()
    finally:
        if saved is None:
            os.environ.pop('PYTHONPATH', None)
        else:
            os.environ['PYTHONPATH'] = saved


def _register(srv, count):
    for start in range(0, count, 1000):
        hosts = [{'name': 'ui-%05d' % i, 'vcpus': 16, 'memory_mb': 65536,
                  'disk_gb': 500, 'availability_zone': 'az-%d' % (i % 3)}
                 for i in range(start, min(count, start + 1000))]
        httpload.run_all(srv.host, srv.port, [httpload.json_request(
            'POST', '/v1/hosts/bulk', {'hosts': hosts},
            srv.tokens['admin'])], connections=1)


def _load(driver, srv):
    """One fresh load of the fleet view; its row of numbers."""
    driver.get(srv.url + '/healthcheck')
    driver.execute_script("sessionStorage.setItem('sora.token', "
                          "arguments[0])", srv.tokens['admin'])
    cpu = longpoll._cpu_seconds(srv.process.pid)
    driver.get(srv.url + '/ui/#fleet')
    sora_server.wait_for(lambda: driver.execute_script(
        "return document.body.dataset.loaded === 'true'"), 120)
    cpu = longpoll._cpu_seconds(srv.process.pid) - cpu
    marks = driver.execute_script(
        'return [document.body.dataset.dataMs, '
        'document.body.dataset.loadedMs]')
    spent = {}
    for name, started, ended in driver.execute_script(_REQUESTS):
        first, last = spent.get(name, (started, ended))
        spent[name] = (min(first, started), max(last, ended))
    calls = ', '.join('%s %.0f' % (name, last - first)
                      for name, (first, last) in spent.items())
    return '| %s | %s | %s | %.0f | %.1f |' % (
        marks[0], marks[1], calls, cpu * 1000, os.getloadavg()[0])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--hosts', type=int, default=10000)
    parser.add_argument('--loads', type=int, default=3)
    parser.add_argument('--compare', metavar='GIT-REF',
                        help='alternate with the sora_api of this ref')
    args = parser.parse_args()
    reason = browser.missing()
    if reason:
        sys.exit(reason)
    servers = _servers(tempfile.mkdtemp(prefix='sora-ui-'), args.compare)
    driver = None
    try:
        for _, srv, pythonpath in servers:
            _start(srv, pythonpath)
        _register(servers[0][1], args.hosts)
        driver = browser.start(1280, 800)
        print('| server | data ms | drawn ms | API requests, first start to '
              'last end, ms | server CPU ms | load average |')
        print('| --- | --- | --- | --- | --- | --- |')
        for i in range(args.loads):
            # Alternating which goes first: neither always meets the
            # machine just after the other.
            for name, srv, _ in servers if i % 2 == 0 else servers[::-1]:
                print('| %s %s' % (name, _load(driver, srv)), flush=True)
    finally:
        if driver:
            driver.quit()
        for _, srv, _ in servers:
            srv.stop()


if __name__ == '__main__':
    main()
