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

With more than one, the parent process forks that many workers, each listening
on the port with a socket of its own (``SO_REUSEPORT``, so the kernel spreads
connections), and replaces any worker that dies.
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
        'max_schedule_request_size', default=64 * 1024, min=1024,
        help="""
Largest schedule request kept, in bytes of compact JSON; larger is a 400.

Every schedule keeps its request (resources, traits, metadata, hints) for
``GET /v1/schedules/{id}``. Without this cap a member could store close to
``max_request_body_size`` (1 MiB) per schedule. List answers leave out
list-valued hints (``query``, ``same_host``, ``different_host``,
``ignore_hosts``, ``force_hosts``) whatever their size.

Related options:

* ``max_request_body_size``
* ``[filter_scheduler] max_query_terms``, ``max_query_string_length``
"""),
    cfg.URIOpt(
        'public_endpoint', schemes=['http', 'https'],
        help="""
Public URL of the API, as clients reach it, for ``Location`` headers and
links.

Unset, links are built from the request's ``Host`` header, which any client
can set. Behind a proxy or load balancer set the URL clients use, such as
``https://sora.example.com`` (a path prefix is kept), as Nova's and
Placement's ``public_endpoint`` options do.
"""),
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
        'max_header_line', default=16384, min=64,
        help="""
Largest size of one line of a request head, in bytes.

It bounds the request line (method, path and query string: 414 past it) and
each header line (431 past it). The answers are the contract's JSON errors.

Related options:

* ``max_request_head_size``: the bound on the whole head.
"""),
    cfg.IntOpt(
        'max_request_head_size', default=65536, min=1024,
        help="""
Largest size of a whole request head (request line and headers), in bytes.

A larger head, or more than 100 header lines, gets 431.
"""),
    cfg.IntOpt(
        'client_header_timeout', default=60, min=1,
        help="""
Seconds a client has to send a complete request head.

Counted from the connection's accept for its first request, and from the
first byte of each later request on a keep-alive connection. A head still
incomplete then gets 408 and the connection is closed (nginx's
``client_header_timeout``, 60 s).
"""),
    cfg.IntOpt(
        'keepalive_timeout', default=75, min=0,
        deprecated_name='client_socket_timeout',
        help="""
Seconds an idle keep-alive connection is kept open between two requests.

0 closes every connection after its response (nginx's
``keepalive_timeout``, 75 s).
"""),
    cfg.IntOpt(
        'client_body_timeout', default=60, min=1,
        help="""
Seconds one read of a request body may wait for data.

The whole body must also arrive within this time plus one second per
``client_body_min_rate`` bytes received. Past either, the request gets 408
and the connection is closed.
"""),
    cfg.IntOpt(
        'client_body_min_rate', default=500, min=0,
        help="""
Bytes per second a request body must keep up, on average, once
``client_body_timeout`` seconds have passed.

Each byte received extends the body's deadline by 1/rate seconds, as
Apache's ``mod_reqtimeout`` MinRate does; a client trickling slower is cut
off. 0 checks only the wait of each read.
"""),
    cfg.IntOpt(
        'send_timeout', default=60, min=1,
        help="""
Seconds one write of a response may wait for the client to read.

A client that stops reading its answer for longer is disconnected (nginx's
``send_timeout``, 60 s).
"""),
    cfg.IntOpt(
        'max_connections', default=10000, min=1,
        help="""
Most client connections one worker holds open at once, idle ones included.

A connection past it is answered 503 and closed at once, never left waiting
in the listen queue. ``sora-api`` raises its open-file limit
(``RLIMIT_NOFILE``) at start to fit this many; when the hard limit is lower,
it logs a warning and serves fewer.
"""),
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
