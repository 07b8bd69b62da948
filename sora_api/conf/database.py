"""Options of the ``[database]`` group."""

from oslo_config import cfg

database_group = cfg.OptGroup('database', title='Database options')

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
    cfg.IntOpt(
        'sqlite_busy_timeout', default=30, min=1,
        help='Seconds an SQLite writer waits for another writer to finish.'),
]


def register_opts(conf):
    conf.register_group(database_group)
    conf.register_opts(database_opts, group=database_group)


def list_opts():
    return {database_group: database_opts}
