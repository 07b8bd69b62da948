"""Options of the ``[api]`` group: serving HTTP."""

from oslo_config import cfg

GROUP = 'api'

api_opts = [
    cfg.HostAddressOpt(
        'bind_host', default='127.0.0.1',
        help='Address the API server listens on.'),
    cfg.PortOpt(
        'bind_port', default=8770,
        help='TCP port the API server listens on. 0 picks a free port.'),
    cfg.IntOpt(
        'workers', default=1, min=1,
        help="""
Number of worker processes serving the API.

With more than one, the parent process forks that many workers that share the
listening socket, and replaces any worker that dies.
"""),
    cfg.StrOpt(
        'api_paste_config', default='api-paste.ini',
        help="""
Paste Deploy configuration of the WSGI pipeline.

A relative name is looked up next to the configuration files, then in the
``etc/`` directory shipped with the package.
"""),
    cfg.StrOpt(
        'auth_strategy', default='token',
        choices=[('token', 'Tokens issued by sora-manage token create'),
                 ('noauth', 'Development only: identity from X-User-Id, '
                            'X-Project-Id and X-Roles headers'),
                 ('keystone', 'keystonemiddleware.auth_token in front')],
        help='How requests are authenticated; it picks the Paste pipeline.'),
    cfg.IntOpt(
        'max_request_body_size', default=1024 * 1024, min=1,
        help='Largest request body accepted, in bytes; larger gets 413.'),
    cfg.IntOpt(
        'max_limit', default=1000, min=1,
        help='Largest number of items a list returns in one page.'),
    cfg.IntOpt(
        'token_cache_time', default=5, min=0,
        help="""
Seconds a worker remembers a token it has checked.

A revoked token keeps working for at most this long on a worker that saw
it just before; 0 checks the database on every request. Like
keystonemiddleware's token cache, it spares the database a lookup per
request. Unknown tokens are never remembered.
"""),
    cfg.IntOpt(
        'max_header_line', default=16384, min=1,
        help='Largest size of one request header line, in bytes.'),
    cfg.IntOpt(
        'client_socket_timeout', default=900, min=0,
        help='Seconds an idle client connection is kept open; 0 is forever.'),
    cfg.IntOpt(
        'graceful_shutdown_timeout', default=60, min=0,
        help="""
Seconds a worker waits for in-flight requests after SIGTERM before it exits.
"""),
]


def register_opts(conf):
    # NOTE: a fresh OptGroup per ConfigOpts: oslo.config keeps registered
    # options and their overrides on the group object itself.
    conf.register_group(cfg.OptGroup(GROUP, title='API server options'))
    conf.register_opts(api_opts, group=GROUP)


def list_opts():
    return {GROUP: api_opts}
