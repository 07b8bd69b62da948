"""Options of the ``[scheduler]`` group."""

from oslo_config import cfg

GROUP = 'scheduler'

scheduler_opts = [
    cfg.StrOpt(
        'driver', default='filter_scheduler',
        help="""
Scheduler driver, by its name in the ``sora.scheduler.drivers`` namespace.

Possible values:

* ``filter_scheduler``: filter the hosts, then weigh the survivors
* ``chance``: a random host among those with room that are enabled and up
* ``memory``: the host with the most free RAM
* the name of a driver another package registers
"""),
    cfg.StrOpt(
        'default_availability_zone', default='nova',
        help='Availability zone of a host created without one.'),
    cfg.IntOpt(
        'service_down_time', default=60, min=1,
        help="""
Seconds without a heartbeat after which a host's status is ``down``.

A host that never sent a heartbeat has no liveness tracking and is ``up``.
"""),
    cfg.IntOpt(
        'max_instances_per_request', default=100, min=1,
        help='Largest ``num_instances`` one schedule request may ask for.'),
    cfg.FloatOpt(
        'cpu_allocation_ratio', default=16.0, min=0.0001,
        help='Default virtual-to-physical CPU ratio of a new host.'),
    cfg.FloatOpt(
        'ram_allocation_ratio', default=1.5, min=0.0001,
        help='Default virtual-to-physical RAM ratio of a new host.'),
    cfg.FloatOpt(
        'disk_allocation_ratio', default=1.0, min=0.0001,
        help='Default virtual-to-physical disk ratio of a new host.'),
    cfg.IntOpt(
        'max_claim_attempts', default=5, min=1,
        help="""
How often one schedule request is placed again after losing a claim race.

A claim is decided by the database; when another request took the room first,
the request is scheduled again on fresh host data, so it lands on the
next-best host.
"""),
    cfg.IntOpt(
        'max_hold_seconds', default=3600, min=1,
        help="""
The longest hold a schedule request may ask for with ``hold_seconds``.

A held schedule counts against capacity and quota until it is confirmed or
its hold runs out; a request asking for longer is a 400.
"""),
    cfg.IntOpt(
        'hold_expiry_interval', default=5, min=1,
        help="""
Seconds between two looks of each API worker for holds whose time has come.

Expired holds are also released before each claim and each read of usage, so
no request sees them as used; this bounds how long an idle service keeps
showing them in host views. Any worker of any server may release a hold, and
each is released once.

Related options:

* ``max_hold_seconds``
"""),
]


def register_opts(conf):
    # NOTE: a fresh OptGroup per ConfigOpts: oslo.config keeps registered
    # options and their overrides on the group object itself.
    conf.register_group(cfg.OptGroup(GROUP, title='Scheduler options'))
    conf.register_opts(scheduler_opts, group=GROUP)


def list_opts():
    return {GROUP: scheduler_opts}
