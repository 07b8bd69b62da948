"""Options of the ``[filter_scheduler]`` group."""

from oslo_config import cfg

GROUP = 'filter_scheduler'

ALL_FILTERS = [
    'AvailabilityZoneFilter', 'ComputeFilter', 'RamFilter', 'CoreFilter',
    'DiskFilter', 'ResourcesFilter', 'TraitsFilter', 'MetadataFilter',
    'SameHostFilter',
    'DifferentHostFilter', 'ServerGroupAffinityFilter',
    'ServerGroupAntiAffinityFilter', 'JsonFilter', 'IgnoreHostsFilter',
    'ForceHostsFilter', 'NumInstancesFilter', 'IoOpsFilter',
    'TaintTolerationFilter', 'ProjectIsolationFilter',
    'TopologySpreadFilter',
]

ALL_WEIGHERS = [
    'RAMWeigher', 'CPUWeigher', 'DiskWeigher', 'IoOpsWeigher',
    'NumInstancesWeigher', 'ServerGroupSoftAffinityWeigher',
    'ServerGroupSoftAntiAffinityWeigher', 'ResourceClassWeigher',
    'TaintTolerationWeigher', 'PreferenceWeigher',
    'TopologySpreadWeigher',
]

filter_scheduler_opts = [
    cfg.ListOpt(
        'enabled_filters', default=ALL_FILTERS,
        help="""
Filters applied to every request, in this order.

Each is a name in the ``sora.scheduler.filters`` namespace. A filter whose
hint or field is absent from the request passes every host. An unknown name
stops the server at start-up.
"""),
    cfg.ListOpt(
        'weighers', default=ALL_WEIGHERS,
        help="""
Weighers that rank the hosts that pass the filters.

Each is a name in the ``sora.scheduler.weighers`` namespace. Each weigher's
raw values are normalised to [0, 1] over the candidates, multiplied by the
weigher's multiplier and summed; the highest total wins.
"""),
    cfg.IntOpt(
        'host_subset_size', default=1, min=1,
        help="""
Pick the host uniformly at random among this many best-weighed hosts.

1 always picks the best host; larger values trade placement quality for less
contention between concurrent requests.
"""),
    cfg.BoolOpt(
        'shuffle_best_same_weighed_hosts', default=False,
        help='Break ties among the best equally weighed hosts at random.'),
    cfg.IntOpt(
        'max_dry_run_candidates', default=100, min=1,
        help="""
Most candidates a dry run lists, best first.

The funnel still counts every host that passed; only the ranked list is
cut, so a dry run over 100k hosts answers quickly.
"""),
    cfg.IntOpt(
        'max_query_terms', default=64, min=1,
        help="""
Most terms (operators' operands) a JsonFilter ``hints.query`` may have.

The query is evaluated once per host, so its size multiplies the cost of a
request: a member's 1,000-term query over 5,000 hosts took 3.9 s of a
worker's CPU; 64 terms take about 0.1 s there, and real queries a handful.
A longer query is a 400.

Related options:

* ``max_query_string_length``
"""),
    cfg.IntOpt(
        'max_query_string_length', default=255, min=1,
        help="""
Longest string (literal or ``$metadata.<key>`` variable) in a JsonFilter
``hints.query``; longer is a 400.

No host attribute a query compares with (names, zones, traits, metadata) is
longer than 255 characters, so a longer literal can never match.

Related options:

* ``max_query_terms``
* ``[api] max_schedule_request_size``
"""),
    cfg.IntOpt(
        'max_instances_per_host', default=50, min=1,
        help='NumInstancesFilter: most instances one host may carry.'),
    cfg.IntOpt(
        'max_io_ops_per_host', default=8, min=0,
        help='IoOpsFilter: hosts with this many io_ops or more are skipped.'),
    cfg.FloatOpt(
        'ram_weight_multiplier', default=1.0,
        help='RAMWeigher: positive spreads by free RAM, negative stacks.'),
    cfg.FloatOpt(
        'cpu_weight_multiplier', default=1.0,
        help='CPUWeigher: positive spreads by free vCPUs, negative stacks.'),
    cfg.FloatOpt(
        'disk_weight_multiplier', default=1.0,
        help='DiskWeigher: positive spreads by free disk, negative stacks.'),
    cfg.FloatOpt(
        'io_ops_weight_multiplier', default=-1.0,
        help="""
IoOpsWeigher: negative prefers idle hosts, positive prefers busy ones.
"""),
    cfg.FloatOpt(
        'num_instances_weight_multiplier', default=0.0,
        help="""
NumInstancesWeigher: positive prefers hosts with more instances, negative
fewer.
"""),
    cfg.FloatOpt(
        'soft_affinity_weight_multiplier', default=1.0, min=0.0,
        help='ServerGroupSoftAffinityWeigher: pull toward group members.'),
    cfg.FloatOpt(
        'soft_anti_affinity_weight_multiplier', default=1.0, min=0.0,
        help='ServerGroupSoftAntiAffinityWeigher: push away from members.'),
    cfg.FloatOpt(
        'topology_spread_weight_multiplier', default=2.0,
        help="""
TopologySpreadWeigher: how much ``hints.spread`` with ``when_unsatisfiable:
schedule_anyway`` counts.

The raw value is minus the skew the host's domain would have after one
more member. The default 2.0 makes one unit of skew outweigh any single
built-in weigher at its default multiplier; 0 ignores the wish.
"""),
    cfg.DictOpt(
        'resource_class_weight_multipliers', default={},
        help="""
ResourceClassWeigher: a multiplier per resource class, ``CLASS:multiplier``.

The raw value of a class is the host's free amount of it. A positive
multiplier spreads over the hosts with most of the class free; a negative
one keeps requests off the hosts with much of it, so requests that do not
need GPUs leave the GPU hosts to those that do. Each class is normalised
over the candidates on its own before the classes are summed; that sum is
the weigher's share, added to the total (and shown in a dry run) as it is.

Example: ``CUSTOM_GPU_A100:-1.0,CUSTOM_FPGA:-0.5``. Empty (the default):
the weigher counts for nothing.
"""),
    cfg.FloatOpt(
        'taint_toleration_weight_multiplier', default=2.0,
        help="""
TaintTolerationWeigher: how much each ``PreferNoSchedule`` taint a request
does not tolerate weighs a host down.

The raw value is minus the number of such taints; the default 2.0 lets
one of them outweigh any single built-in weigher at its default. 0 turns
the weigher off, so those taints count for nothing.
"""),
    cfg.FloatOpt(
        'preference_weight_multiplier', default=2.0,
        help="""
PreferenceWeigher: how much a request's ``preferences`` count.

The raw value of a host is the sum of the weights (-100..100) of the
preferences it matches; the default 2.0 lets a lone preference of weight
100 outweigh any single built-in weigher at its default. 0 turns
preferences off.
"""),
]


def register_opts(conf):
    # NOTE: a fresh OptGroup per ConfigOpts: oslo.config keeps registered
    # options and their overrides on the group object itself.
    conf.register_group(cfg.OptGroup(GROUP,
                                     title='Filter scheduler options'))
    conf.register_opts(filter_scheduler_opts, group=GROUP)


def list_opts():
    return {GROUP: filter_scheduler_opts}
