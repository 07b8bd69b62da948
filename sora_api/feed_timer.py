"""The per-process timer of the event feed's housekeeping."""

import threading

from oslo_log import log as logging

LOG = logging.getLogger(__name__)


def start(services):
    """Note hosts gone silent (``host.down``) and prune the feed every
    ``[events] liveness_check_interval`` seconds, in a daemon thread of this
    process (a green one under eventlet)."""
    thread = threading.Thread(target=_run, args=(services,),
                              name='feed-housekeeping', daemon=True)
    thread.start()
    return thread


def _run(services):
    interval = services.conf.events.liveness_check_interval
    stop = threading.Event()
    while not stop.wait(interval):
        try:
            services.feed.housekeeping()
        except Exception as e:
            # NOTE: a database that is away now may be back next time; the
            # feed's readers run the same check and report the 503 to
            # their clients.
            LOG.warning('Event feed housekeeping failed: %s', e)
