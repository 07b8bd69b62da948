"""Options of the ``[events]`` group: the change feed ``GET /v1/events``."""

from oslo_config import cfg

GROUP = 'events'

events_opts = [
    cfg.IntOpt(
        'retention_seconds', default=86400, min=60,
        help="""
Seconds an event is kept in the feed.

Older events are deleted; a reader asking from before the oldest kept one gets
what remains, with ``"truncated": true``.
"""),
    cfg.FloatOpt(
        'poll_interval', default=0.25, min=0.01, max=5,
        help="""
Seconds between two looks at the event counter while long polls wait.

One look per worker serves every waiting client, and no database connection
is held in between; a long poll answers at most this long after its event.
"""),
    cfg.FloatOpt(
        'liveness_check_interval', default=2.0, min=0.1,
        help="""
Seconds between two checks, per worker, for hosts whose heartbeats stopped.

The check writes ``host.down`` for each host past
``[scheduler] service_down_time``, once per transition whichever worker or
server notices first. It runs when a client reads the feed and on each
worker's timer.

Related options:

* ``[scheduler] service_down_time``
"""),
]


def register_opts(conf):
    conf.register_group(cfg.OptGroup(GROUP, title='Event feed options'))
    conf.register_opts(events_opts, group=GROUP)


def list_opts():
    return {GROUP: events_opts}
