"""``sora-api``: serve the Sora API over HTTP."""

import gc
import sys

from oslo_log import log as logging

import sora_api
from sora_api import conf as sora_conf
from sora_api import exception
from sora_api import metrics
from sora_api import policy_file
from sora_api import services as sora_services
from sora_api.api import deploy
from sora_api.cmd import server as wsgi_server
from sora_api.conf import logs
from sora_api.db import engine
from sora_api.db import migration

LOG = logging.getLogger(__name__)


def main(argv=None):
    conf = sora_conf.new_config(sys.argv[1:] if argv is None else argv)
    logs.apply(conf)
    # NOTE: oslo.log's eventlet fix swaps handler locks for a pipe-based
    # mutex whose pipe forked workers share with the parent: a worker killed
    # while logging would leave every other process unable to log. Sora runs
    # no real threads beside green ones, so the plain green locks are right.
    logging.setup(conf, 'sora', fix_eventlet=False)
    LOG.info('Sora API %s', sora_api.version())
    # Before any worker forks: they all write to this server's directory.
    metrics.setup()
    try:
        return _serve(conf)
    finally:
        metrics.cleanup()


def _serve(conf):
    try:
        # NOTE: oslo.policy reads the file only at the first request; a
        # broken one would let the server start healthy and fail them all.
        policy_file.check(conf)
        services = sora_services.Services(conf)
        if engine.is_default_sqlite(conf):
            # The embedded default needs no operator step: create or upgrade
            # its schema here. A server database is upgraded with
            # ``sora-manage db sync``.
            migration.upgrade(services.db.engine)
        app = deploy.load_app(services)
        # Load every host before serving (and before forking, so workers
        # start with it): the first schedule request then pays nothing.
        services.scheduler.warm_up()
        # NOTE: move everything loaded so far (100k hosts are millions of
        # objects) out of the garbage collector's sight: full collections
        # then no longer walk it, which stalled requests for seconds, and
        # forked workers keep sharing its memory pages.
        gc.freeze()
        server = wsgi_server.Server(conf, app, after_fork=services.after_fork,
                                    on_worker_exit=metrics.mark_process_dead,
                                    on_stop=services.feed.stop)
    except exception.ConfigurationError as e:
        LOG.error('%s', e)
        print('sora-api: %s' % e, file=sys.stderr)
        return 2
    if conf.api.workers == 1:
        # Workers start theirs in Services.after_fork.
        services.start_timers()
    return server.run()


if __name__ == '__main__':
    sys.exit(main())
