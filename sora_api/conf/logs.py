"""The ``[DEFAULT] log_format`` option: text lines or JSON objects."""

from oslo_config import cfg

log_opts = [
    cfg.StrOpt(
        'log_format', default='text',
        choices=[('text', 'One human-readable line per record, in the '
                          'logging_*_format_string formats of oslo.log'),
                 ('json', 'One JSON object per line, for a log system')],
        help="""
Format of the log records ``sora-api`` writes.

``json`` writes each record as one JSON object per line (oslo.log's
``JSONFormatter``): ``message``, ``levelname``, ``name``, ``asctime``, ...
and, for every record written while a request is served, the request context
under ``context`` with ``context.request_id`` equal to the response's
``X-OpenStack-Request-Id``. ``json`` is the same as oslo.log's ``use_json``.

Related options:

* ``log_config_append``: a logging configuration file replaces every
  formatting option, this one included.
"""),
]


def register_opts(conf):
    conf.register_opts(log_opts)


def list_opts():
    return {'DEFAULT': log_opts}


def apply(conf):
    """Turn ``log_format`` into oslo.log's options; before ``log.setup``."""
    if conf.log_format == 'json':
        conf.set_override('use_json', True)
