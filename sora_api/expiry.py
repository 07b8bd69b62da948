"""The per-worker timer that releases holds whose time has come."""

import threading

from oslo_log import log as logging

from sora_api.db import holds

LOG = logging.getLogger(__name__)

_BATCH = 100


def start(services):
    """Run the expiry every ``[scheduler] hold_expiry_interval`` seconds
    in a daemon thread of this process (a green one under eventlet, whose
    monkey-patching makes ``threading`` green)."""
    thread = threading.Thread(target=_run, args=(services,),
                              name='hold-expiry', daemon=True)
    thread.start()
    return thread


def _run(services):
    interval = services.conf.scheduler.hold_expiry_interval
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            while holds.expire_due(services.db, limit=_BATCH) == _BATCH:
                pass
        except Exception:
            # NOTE: a database fault must not end the timer; the next run
            # (or any claim) tries again, and a hold is released only once.
            LOG.exception('Releasing expired holds failed')
