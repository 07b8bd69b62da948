"""Start a real server for a benchmark: own state dir, config, tokens.

The server is ``sora-api`` (eventlet) or ``gunicorn`` serving
``sora_api.wsgi:application`` with gthread workers, on the same config.
"""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

from sora_api import conf as sora_conf
from sora_api.db import engine
from sora_api.db import migration
from sora_api.db import tokens

_SERVING = re.compile(r'Serving on http://([\d.]+):(\d+)')
_LISTENING = re.compile(r'Listening at: http://([\d.]+):(\d+)')
_LOADED = 'Sora API application loaded'
SERVERS = ('sora-api', 'gunicorn')
_TICKS = os.sysconf('SC_CLK_TCK')


def _command(name, module):
    """The console script next to this Python, else ``python -m``."""
    script = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(script):
        return [script]
    return [sys.executable, '-m', module]


class BenchServer:
    """One server process (and its workers) on 127.0.0.1, on a free port.

    ``db_url`` None means the embedded SQLite default under ``workdir``.
    ``server`` is ``sora-api`` or ``gunicorn`` (``threads`` per worker).
    ``tokens`` holds an admin and a member secret once ``start`` returns.
    """

    def __init__(self, workdir, workers=1, db_url=None, options=None,
                 server='sora-api', threads=4):
        if server not in SERVERS:
            raise ValueError('server must be one of %s' % (SERVERS,))
        self.server = server
        self.workers = workers
        self.threads = threads
        self.workdir = os.path.abspath(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.config_file = os.path.join(self.workdir, 'sora.conf')
        self.log_file = os.path.join(self.workdir, 'sora-api.log')
        self.options = {
            'DEFAULT': {'state_path': self.workdir},
            'api': {'bind_host': '127.0.0.1', 'bind_port': '0',
                    'workers': str(workers)},
        }
        if db_url:
            self.options['database'] = {'connection': db_url}
        for group, values in (options or {}).items():
            self.options.setdefault(group, {}).update(
                {k: str(v) for k, v in values.items()})
        self.process = None
        self.host = self.port = None
        self.tokens = {}
        self._log = None
        sora_conf.write_config_file(self.config_file, self.options)

    @property
    def url(self):
        return 'http://%s:%d' % (self.host, self.port)

    def config(self):
        return sora_conf.new_config(['--config-file', self.config_file],
                                    default_config_files=[])

    def prepare(self):
        """Create or upgrade the schema and make the tokens."""
        db = engine.Database(self.config())
        try:
            migration.upgrade(db.engine)
            _, self.tokens['admin'] = tokens.create(
                db, 'bench-admin', 'bench-admin-project', ['admin'])
            _, self.tokens['member'] = tokens.create(
                db, 'bench-user', 'bench-project', ['member'])
        finally:
            db.engine.dispose()

    def start(self, timeout=120):
        if not self.tokens:
            self.prepare()
        # A restarted server appends to its log: read only the new part.
        self._log_offset = len(self.log())
        self._log = open(self.log_file, 'ab')
        if self.server == 'gunicorn':
            command, env = self._gunicorn()
        else:
            command = _command('sora-api', 'sora_api.cmd.api') + [
                '--config-file', self.config_file,
                '--log-file', self.log_file]
            env = None
        self.process = subprocess.Popen(
            command, env=env, cwd=self.workdir, stdout=self._log,
            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s' % (
                    self.server, self.process.returncode,
                    self.log()[-4000:]))
            address = self._address()
            if address:
                self.host, self.port = address
                if self._healthy():
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError('%s did not start:\n%s' % (
            self.server, self.log()[-4000:]))

    def _gunicorn(self):
        """Command and environment of gunicorn serving sora_api.wsgi."""
        env = dict(os.environ, OS_SORA_CONFIG_DIR=self.workdir,
                   OS_SORA_CONFIG_FILES=os.path.basename(self.config_file),
                   # gunicorn >= 25.1 opens a control socket under $HOME.
                   HOME=self.workdir)
        command = [sys.executable, '-m', 'gunicorn',
                   '--worker-class', 'gthread',
                   '--workers', str(self.workers),
                   '--threads', str(self.threads),
                   '--bind', '127.0.0.1:0', 'sora_api.wsgi:application']
        return command, env

    def _address(self):
        """``(host, port)`` once the server says it serves, else None."""
        log = self.log()[self._log_offset:]
        if self.server == 'gunicorn':
            match = _LISTENING.search(log)
            # Every worker loads the application before it accepts.
            if log.count(_LOADED) < self.workers:
                return None
        else:
            match = _SERVING.search(log)
        return (match.group(1), int(match.group(2))) if match else None

    def _healthy(self):
        try:
            with urllib.request.urlopen(self.url + '/healthcheck',
                                        timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def log(self):
        if not os.path.exists(self.log_file):
            return ''
        with open(self.log_file, errors='replace') as f:
            return f.read()

    def worker_pids(self):
        """The serving processes: the children, or the server itself."""
        if self.process is None:
            return []
        pid = self.process.pid
        children = []
        path = '/proc/%d/task/%d/children' % (pid, pid)
        try:
            with open(path) as f:
                children = [int(p) for p in f.read().split()]
        except OSError:
            pass
        return children or [pid]

    def cpu_seconds(self):
        """User + system CPU seconds of the server and its live workers."""
        pids = set(self.worker_pids())
        if self.process is not None:
            pids.add(self.process.pid)
        return sum(_cpu_ticks(pids).values()) / _TICKS

    def wait_idle(self, timeout=120.0, window=0.5, busy_ticks=5):
        """Wait until no worker burns CPU (requests of a run finished).

        A load tool stops at its deadline while the server may still work
        on requests it accepted; the next run must not pay for them.
        Returns the seconds waited (at most ``timeout``).
        """
        started = time.monotonic()
        before = _cpu_ticks(self.worker_pids())
        while time.monotonic() - started < timeout:
            time.sleep(window)
            now = _cpu_ticks(self.worker_pids())
            if all(now.get(p, 0) - before.get(p, 0) < busy_ticks
                   for p in now):
                break
            before = now
        return time.monotonic() - started

    def stop(self, timeout=60):
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None
        return self.process.returncode


def _cpu_ticks(pids):
    """utime + stime of each process, in clock ticks."""
    ticks = {}
    for pid in pids:
        try:
            with open('/proc/%d/stat' % pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks


def memory_kb(pid):
    """``(VmRSS, VmHWM)`` of a process in KiB, or ``(None, None)``."""
    values = {}
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                name, _, rest = line.partition(':')
                if name in ('VmRSS', 'VmHWM'):
                    values[name] = int(rest.split()[0])
    except OSError:
        return None, None
    return values.get('VmRSS'), values.get('VmHWM')
