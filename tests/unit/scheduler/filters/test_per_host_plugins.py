"""A per-host plugin stating each built-in's rule agrees with the built-in.

Built-in filters and weighers answer from the table's columns; a
third-party plugin writes ``host_passes`` / ``_weigh_object`` and goes
through the base class's per-host default. Both run here through the
production entry points on random hosts and requests (seeded), so the
default path and every built-in are checked against the contract's rule.
"""

import operator
import random

import numpy as np

from sora_api import topology
from sora_api.scheduler import filters
from sora_api.scheduler import host_table
from sora_api.scheduler import plugins
from sora_api.scheduler import request_spec
from sora_api.scheduler import taints
from sora_api.scheduler import weighers
from sora_api.scheduler.filters import json_filter

_STANDARD = {'VCPU', 'MEMORY_MB', 'DISK_GB'}


def _fits(host, spec):
    # ResourcesFilter with RamFilter, CoreFilter and DiskFilter enabled
    # checks only the custom classes.
    return all(host.free(name) >= amount and host.max_unit(name) >= amount
               for name, amount in spec.resources.items()
               if name not in _STANDARD)


def _domain(host, key):
    return topology.domain_of(key, host.name, host.availability_zone,
                              host.metadata)


def _domain_members(hosts, key, group_hosts):
    """{domain: members} of ``group_hosts`` over ``hosts``."""
    counts = {}
    for host in hosts:
        domain = _domain(host, key)
        if host.id in group_hosts and domain is not None:
            counts[domain] = counts.get(domain, 0) + group_hosts[host.id]
    return counts


def _group_rule(hosts, policy):
    """Hard group policies on the group's topology key."""
    def rule(h, s):
        key = s.group_topology_key
        if s.group_policy != policy or (
                not s.group_hosts and topology.metadata_key(key) is None):
            return True
        domain = _domain(h, key)
        if domain is None:
            return False
        counts = _domain_members(hosts, key, s.group_hosts)
        if policy == 'affinity':
            return not s.group_hosts or counts.get(domain, 0) > 0
        return counts.get(domain, 0) < s.max_per_domain
    return rule


def _skew_after(hosts, candidates, h, s):
    """The skew of h's domain after one more member, over the domains of
    ``candidates``; None when h has no domain. Members count wherever
    they are, candidates or not."""
    key = s.spread.key
    domain = _domain(h, key)
    present = {_domain(c, key) for c in candidates} - {None}
    if domain is None or not present:
        return None
    counts = _domain_members(hosts, key, s.group_hosts)
    return counts.get(domain, 0) + 1 - min(counts.get(d, 0)
                                           for d in present)


def _spread_rule(hosts):
    def rule(h, s):
        if (s.spread is None
                or s.spread.when_unsatisfiable != 'do_not_schedule'):
            return True
        skew = _skew_after(hosts, hosts, h, s)
        return skew is not None and skew <= s.spread.max_skew
    return rule


def _rules(conf, hosts):
    """The contract's rule of each built-in filter, for one host."""
    options = conf.filter_scheduler
    return {
        'AvailabilityZoneFilter': lambda h, s: (
            s.availability_zone is None
            or h.availability_zone == s.availability_zone),
        'ComputeFilter': lambda h, s: h.enabled and h.up,
        # A zero request passes even an overcommitted host.
        'RamFilter': lambda h, s: not s.memory_mb or (h.free_ram_mb
                                                      >= s.memory_mb),
        'CoreFilter': lambda h, s: not s.vcpus or h.free_vcpus >= s.vcpus,
        'DiskFilter': lambda h, s: not s.disk_gb or (h.free_disk_gb
                                                     >= s.disk_gb),
        'ResourcesFilter': _fits,
        'TraitsFilter': lambda h, s: (s.required_traits <= h.traits
                                      and not s.forbidden_traits & h.traits),
        'MetadataFilter': lambda h, s: all(
            h.metadata.get(k) == v for k, v in s.metadata.items()),
        'SameHostFilter': lambda h, s: (s.same_host is None
                                        or h.id in s.same_host),
        'DifferentHostFilter': lambda h, s: (not s.different_host
                                             or h.id not in s.different_host),
        'ServerGroupAffinityFilter': _group_rule(hosts, 'affinity'),
        'ServerGroupAntiAffinityFilter': _group_rule(hosts, 'anti-affinity'),
        'JsonFilter': lambda h, s: not s.query or bool(_query(s.query, h)),
        'IgnoreHostsFilter': lambda h, s: h.name not in s.ignore_hosts,
        'ForceHostsFilter': lambda h, s: (not s.force_hosts
                                          or h.name in s.force_hosts),
        'NumInstancesFilter': lambda h, s: (h.instances
                                            < options.max_instances_per_host),
        'IoOpsFilter': lambda h, s: h.io_ops < options.max_io_ops_per_host,
        'TaintTolerationFilter': lambda h, s: not _untolerated(
            h, s, 'NoSchedule'),
        'ProjectIsolationFilter': lambda h, s: (not h.projects
                                                or s.project_id in h.projects),
        'TopologySpreadFilter': _spread_rule(hosts),
    }


def _untolerated(host, spec, effect):
    """The host's taints of ``effect`` no toleration of ``spec`` matches,
    by Kubernetes' rule."""
    return [t for t in host.taints if t.effect == effect and not any(
        o.effect in (None, t.effect) and o.key in (None, t.key)
        and (o.operator == 'Exists' or o.value == t.value)
        for o in spec.tolerations)]


_TAINTS = [taints.Taint(k, v, e) for k in ('gpu', 'spot') for v in ('', 'y')
           for e in taints.EFFECTS]
_TOLERATIONS = [taints.Toleration(k, o, v, e)
                for k in (None, 'gpu', 'spot') for o in taints.OPERATORS
                for v in ('', 'y') for e in (None,) + taints.EFFECTS
                if (k is not None or o == 'Exists')
                and (o == 'Equal' or v == '')]


def _with_placement_policies(hosts, specs, rng):
    """Random taints, dedicated projects, tolerations and preferences on
    the seeded cases (a separate stream: the cases stay as they were)."""
    for host in hosts:
        host.taints = frozenset(rng.sample(_TAINTS, rng.randint(0, 3)))
        host.projects = frozenset(rng.sample(
            ['project-a', 'project-b'], rng.choice([0, 0, 1, 2])))
    for spec in specs:
        spec.project_id = rng.choice(['project-a', 'project-b', 'other'])
        spec.tolerations = tuple(rng.sample(_TOLERATIONS, rng.randint(0, 3)))
        spec.preferences = tuple(request_spec.Preference.of(
            {'weight': rng.choice([-100, -3, 1, 50, 100]),
             'query': _random_query(rng)})
            for _ in range(rng.randint(0, 3)))


_ORDER = {'=': operator.eq, '<': operator.lt, '>': operator.gt,
          '<=': operator.le, '>=': operator.ge}


def _query(query, host):
    """Nova's JsonFilter on one HostState, as the contract says it."""
    op, args = query[0], query[1:]

    def operand(arg):
        if isinstance(arg, list):
            return _query(arg, host)
        if isinstance(arg, str) and arg.startswith('$'):
            if arg.startswith('$metadata.'):
                return host.metadata.get(arg[len('$metadata.'):])
            return getattr(host, json_filter._VARIABLES[arg[1:]])
        return arg
    if op == 'not':
        return not operand(args[0])
    if op in ('and', 'or'):
        return (all if op == 'and' else any)(operand(a) for a in args)
    values = [v for v in map(operand, args) if v is not None]
    if len(values) < 2:
        return False
    first, others = values[0], values[1:]
    if op == 'in':
        return any(first == o or (isinstance(o, frozenset) and first in o)
                   for o in others)
    try:
        return all(_ORDER[op](first, o) for o in others)
    except TypeError:
        return False


_VARIABLE_NAMES = ['$free_ram_mb', '$vcpus', '$name', '$availability_zone',
                   '$traits', '$metadata.tier', '$metadata.absent',
                   '$enabled', '$up', '$instances', '$io_ops',
                   '$free_disk_mb', '$id', '$usable_vcpus', '$host']
_LITERALS = [0, 1, 2, 49, 1024, 4096.5, True, False, 'gold', 'az1',
             'CUSTOM_SSD', 'h3', 'id-h4', 'x']


def _random_query(rng, depth=0):
    op = rng.choice(['=', '<', '>', '<=', '>=', 'in', 'not', 'and', 'or']
                    if depth < 3 else ['=', '<', '>=', 'in'])
    if op == 'not':
        return [op, _random_query(rng, depth + 1)]
    leaf = _VARIABLE_NAMES + _LITERALS
    if op in ('and', 'or'):
        return [op] + [_random_query(rng, depth + 1) if rng.random() < 0.8
                       else rng.choice(leaf)
                       for _ in range(rng.randint(1, 3))]
    return [op] + [rng.choice(leaf) if rng.random() < 0.9
                   else _random_query(rng, 3)
                   for _ in range(rng.randint(2, 3))]


class _PerHost(filters.BaseHostFilter):
    """A third-party-style filter: ``host_passes`` only."""

    def __init__(self, conf, name, rule):
        super().__init__(conf)
        self.name, self.rule = name, rule

    def host_passes(self, host_state, spec):
        return self.rule(host_state, spec)


def _both(conf, built_in, rule, table, spec):
    per_host = _PerHost(conf, built_in.name, rule)
    return (filters.filter_table([built_in], table.with_own_usage(), spec),
            filters.filter_table([per_host], table.with_own_usage(), spec))


def _same(ours, theirs):
    return ours[0].tolist() == theirs[0].tolist() and ours[1] == theirs[1]


def test_every_builtin_filter_agrees_with_its_per_host_rule(conf, cases):
    hosts, specs = cases
    rng = random.Random(7)
    _with_placement_policies(hosts, specs, rng)
    table = host_table.HostTable.from_host_states(hosts)
    built_in = plugins.load_filters(conf)
    rules = _rules(conf, hosts)
    assert {f.name for f in built_in} == set(rules)
    for spec in specs:
        spec.query = _random_query(rng)
        for host_filter in built_in:
            ours, theirs = _both(conf, host_filter, rules[host_filter.name],
                                 table, spec)
            assert _same(ours, theirs), (host_filter.name, spec)


def test_json_filter_agrees_with_nova_on_random_queries(conf, cases,
                                                        make_spec):
    hosts, _ = cases
    table = host_table.HostTable.from_host_states(hosts)
    json = json_filter.JsonFilter(conf)
    rule = _rules(conf, hosts)['JsonFilter']
    rng = random.Random(20261130)
    for _ in range(600):
        spec = make_spec(query=_random_query(rng))
        json_filter.validate_query(spec.query)
        ours, theirs = _both(conf, json, rule, table, spec)
        assert _same(ours, theirs), spec.query


def _raw_rules(hosts, candidates):
    """The contract's raw metric of each built-in weigher, for one host."""
    def members(policy, sign):
        def raw(h, s):
            if s.group_policy != policy:
                return 0
            counts = _domain_members(hosts, s.group_topology_key,
                                     s.group_hosts)
            return sign * counts.get(_domain(h, s.group_topology_key), 0)
        return raw

    def spread(h, s):
        if (s.spread is None
                or s.spread.when_unsatisfiable != 'schedule_anyway'):
            return 0
        skew = _skew_after(hosts, candidates, h, s)
        if skew is not None:
            return -skew
        # Without a domain: one below the worst candidate with one.
        skews = [_skew_after(hosts, candidates, c, s) for c in candidates]
        skews = [k for k in skews if k is not None]
        return -max(skews) - 1 if skews else 0
    return {
        'RAMWeigher': lambda h, s: h.free_ram_mb,
        'CPUWeigher': lambda h, s: h.free_vcpus,
        'DiskWeigher': lambda h, s: h.free_disk_mb,
        'IoOpsWeigher': lambda h, s: h.io_ops,
        'NumInstancesWeigher': lambda h, s: h.instances,
        'ServerGroupSoftAffinityWeigher': members('soft-affinity', 1),
        'ServerGroupSoftAntiAffinityWeigher': members('soft-anti-affinity',
                                                      -1),
        'TaintTolerationWeigher': lambda h, s: -len(_untolerated(
            h, s, 'PreferNoSchedule')),
        'PreferenceWeigher': lambda h, s: sum(
            p.weight for p in s.preferences if _query(p.query, h)),
        'TopologySpreadWeigher': spread,
    }


class _PerHostWeigher(weighers.BaseHostWeigher):
    """A third-party-style weigher: ``_weigh_object`` only."""

    def __init__(self, conf, like, rule):
        super().__init__(conf)
        self.name, self.like, self.rule = like.name, like, rule

    def weight_multiplier(self):
        return self.like.weight_multiplier()

    def _weigh_object(self, host_state, spec):
        return self.rule(host_state, spec)


def test_every_builtin_weigher_agrees_with_its_per_host_metric(conf, cases):
    conf.set_override('num_instances_weight_multiplier', 1.0,
                      group='filter_scheduler')
    hosts, specs = cases
    _with_placement_policies(hosts, specs, random.Random(11))
    table = host_table.HostTable.from_host_states(hosts)
    rows = np.arange(0, len(hosts), 2)
    rules = _raw_rules(hosts, [hosts[i] for i in rows])
    built_in = [w for w in plugins.load_weighers(conf) if w.name in rules]
    assert len(built_in) == len(rules)
    for spec in specs:
        for weigher in built_in:
            per_host = _PerHostWeigher(conf, weigher, rules[weigher.name])
            ours = weighers.weigh_rows([weigher], table.with_own_usage(), rows,
                                       spec)
            theirs = weighers.weigh_rows([per_host], table.with_own_usage(),
                                         rows, spec)
            assert np.allclose(ours[0], theirs[0]), weigher.name
