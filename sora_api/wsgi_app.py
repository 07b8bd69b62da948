"""The application ``sora_api.wsgi`` gives a WSGI server, from the environment.

Gunicorn, uWSGI or mod_wsgi import ``sora_api.wsgi`` and take its
``application``, as they do with Nova's and Placement's. There is no
command line, so the configuration comes from the environment:

- ``OS_SORA_CONFIG_DIR``: the directory of the configuration files
  (default ``/etc/sora``);
- ``OS_SORA_CONFIG_FILES``: their names, separated by ``;``, relative to
  that directory or absolute (default ``sora.conf``); later files override
  earlier ones, as repeated ``--config-file`` options do.

The application is what ``sora-api`` serves, set up the same way: logging,
the embedded SQLite default created or upgraded, the Paste pipeline of
``[api] api_paste_config``, every host loaded before the first request.
Nothing here imports ``sora_api.cmd``: eventlet stays with ``sora-api``.
"""

import fcntl
import gc
import os
import threading

from oslo_log import log as logging

from sora_api import conf as sora_conf
from sora_api import metrics
from sora_api import services as sora_services
from sora_api.api import deploy
from sora_api.conf import logs
from sora_api.db import engine
from sora_api.db import migration

CONFIG_DIR_ENV = 'OS_SORA_CONFIG_DIR'
CONFIG_FILES_ENV = 'OS_SORA_CONFIG_FILES'
DEFAULT_CONFIG_DIR = '/etc/sora'
DEFAULT_CONFIG_FILES = 'sora.conf'

LOG = logging.getLogger(__name__)


def config_files(env=None):
    """The configuration files the environment names, in order.

    A file that does not exist is an error: a server started on defaults
    because of a typo would quietly serve an empty database.
    """
    env = os.environ if env is None else env
    directory = env.get(CONFIG_DIR_ENV, '').strip() or DEFAULT_CONFIG_DIR
    names = [n.strip() for n in env.get(CONFIG_FILES_ENV, '').split(';')
             if n.strip()] or [DEFAULT_CONFIG_FILES]
    paths = [os.path.join(directory, name) for name in names]
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise RuntimeError(
            'sora_api.wsgi: configuration file(s) %s not found; set %s '
            '(default %s) and %s (default %s)' % (
                ', '.join(missing), CONFIG_DIR_ENV, DEFAULT_CONFIG_DIR,
                CONFIG_FILES_ENV, DEFAULT_CONFIG_FILES))
    return paths


def init_application(env=None):
    """Parse the configuration, set up logging and return the application."""
    env = os.environ if env is None else env
    args = []
    for path in config_files(env):
        args += ['--config-file', path]
    conf = sora_conf.new_config(args, default_config_files=[])
    logs.apply(conf)
    logging.setup(conf, 'sora')
    if env.get(metrics.ENV):
        # NOTE: the server's workers share the directory the operator made
        # for them (prometheus_client's convention); each worker loads this
        # module, so none of them may empty it.
        metrics.setup(env[metrics.ENV], clear=False)
    services = sora_services.Services(conf)
    if engine.is_default_sqlite(conf):
        _upgrade_embedded(conf, services.db)
    app = deploy.load_app(services)
    services.scheduler.warm_up()
    # NOTE: as in sora-api: the loaded hosts leave the collector's sight,
    # so full collections do not walk them (and forked workers keep
    # sharing their pages when the server loads the app before forking).
    gc.freeze()
    LOG.info('Sora API application loaded from %s', ', '.join(
        conf.config_file))
    # Forked workers start theirs in Services.after_fork.
    services.start_timers()
    return _PerProcess(app, services)


def _upgrade_embedded(conf, db):
    """Create or upgrade the embedded SQLite schema, one process at a time.

    NOTE: a server that loads the application in every worker runs this in
    all of them at once; an exclusive lock next to the database file makes
    the first one migrate and the others find the schema current.
    """
    lock_path = os.path.join(conf.state_path, engine.SQLITE_FILE + '.lock')
    os.makedirs(conf.state_path, exist_ok=True)
    with open(lock_path, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            migration.upgrade(db.engine)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class _PerProcess:
    """The Paste application; in a process forked after loading it, the
    inherited database connections and random stream are replaced first.

    NOTE: gunicorn with ``--preload`` and uWSGI without ``lazy-apps`` load
    the application once and fork workers from that process; they call no
    hook of ours, so the first request each worker serves does what
    ``sora-api`` does after its forks (``Services.after_fork``).
    """

    def __init__(self, app, services):
        self.app = app
        self.services = services
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        if self._pid != os.getpid():
            self._after_fork()
        return self.app(environ, start_response)

    def _after_fork(self):
        with self._lock:
            if self._pid != os.getpid():
                self.services.after_fork()
                self._pid = os.getpid()

