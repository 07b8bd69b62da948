"""Options of the ``[database]`` group."""

from oslo_config import cfg

GROUP = 'database'

database_opts = [
    cfg.StrOpt(
        'connection', secret=True,
        help="""
SQLAlchemy URL of the database.

Unset means an SQLite file ``sora.sqlite`` under ``[DEFAULT] state_path``,
whose schema is created on first start. For several API servers use a shared
server database, for example ``postgresql+psycopg2://sora:secret@db/sora``.
"""),
    cfg.IntOpt(
        'max_pool_size', default=10, min=1,
        help='Connections kept open in the pool of each worker.'),
    cfg.IntOpt(
        'max_overflow', default=20, min=0,
        help='Extra connections a worker may open beyond the pool size.'),
    cfg.IntOpt(
        'pool_timeout', default=30, min=1,
        help='Seconds to wait for a free pooled connection.'),
    cfg.IntOpt(
        'connection_recycle_time', default=3600, min=1,
        help='Seconds after which a pooled connection is replaced.'),
    cfg.BoolOpt(
        'legacy_host_change_counter', default=False,
        help="""
PostgreSQL only: also number every host change in the one ``host_changes``
counter row, as servers of releases before the ``0004`` schema read it.

Turn it on, on every upgraded server, during a rolling upgrade while servers
of such a release still run on the same database, so their host caches see
this release's claims; turn it off once every server is upgraded. While it
is on, every claim waits for the previous one's commit on that row again.
SQLite and MySQL/MariaDB always keep the counter.
"""),
    cfg.IntOpt(
        'sqlite_busy_timeout', default=30, min=1,
        help='Seconds an SQLite writer waits for another writer to finish.'),
]


def register_opts(conf):
    # NOTE: a fresh OptGroup per ConfigOpts: oslo.config keeps registered
    # options and their overrides on the group object itself.
    conf.register_group(cfg.OptGroup(GROUP, title='Database options'))
    conf.register_opts(database_opts, group=GROUP)


def list_opts():
    return {GROUP: database_opts}
