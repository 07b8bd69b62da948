"""The timers every serving process runs: holds that expire, and the event
feed's housekeeping.

Each runs in a daemon thread of this process (a green one under eventlet,
whose monkey-patching makes ``threading`` green). A failure never ends a
timer: the database may be back by the next run.
"""

import threading

from oslo_log import log as logging

from sora_api.db import holds

LOG = logging.getLogger(__name__)

_BATCH = 100


def start(services):
    """Start the expiry of holds, every ``[scheduler]
    hold_expiry_interval`` seconds, and the feed's housekeeping (noting
    hosts gone silent, ``host.down``, and pruning), every ``[events]
    liveness_check_interval`` seconds."""
    conf = services.conf
    _every(conf.scheduler.hold_expiry_interval, 'hold-expiry',
           lambda: _expire_holds(services.db), _holds_failed)
    _every(conf.events.liveness_check_interval, 'feed-housekeeping',
           services.feed.housekeeping, _housekeeping_failed)


def _every(seconds, name, work, failed):
    def repeat():
        stop = threading.Event()
        while not stop.wait(seconds):
            try:
                work()
            except Exception as e:
                failed(e)
    threading.Thread(target=repeat, name=name, daemon=True).start()


def _expire_holds(db):
    while holds.expire_due(db, limit=_BATCH) == _BATCH:
        pass


def _holds_failed(error):
    # NOTE: the next run (or any claim) tries again, and a hold is
    # released only once.
    LOG.exception('Releasing expired holds failed')


def _housekeeping_failed(error):
    # NOTE: the feed's readers run the same check and report the 503 to
    # their clients.
    LOG.warning('Event feed housekeeping failed: %s', error)
