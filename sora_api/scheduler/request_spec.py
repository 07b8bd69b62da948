"""What one schedule request asks of the scheduler, free of HTTP and SQL."""

import dataclasses

from sora_api import capacity
from sora_api import exception
from sora_api import topology
from sora_api.scheduler import taints
from sora_api.scheduler.filters import json_filter

GROUP_POLICIES = frozenset(
    ['affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity'])


@dataclasses.dataclass(frozen=True)
class Spread:
    """``hints.spread``: keep the members within ``max_skew`` of the least
    loaded domain of ``key``; ``do_not_schedule`` filters, ``schedule_anyway``
    only weighs."""

    key: str
    max_skew: int = 1
    when_unsatisfiable: str = 'do_not_schedule'

    @classmethod
    def from_hint(cls, hint):
        return None if hint is None else cls(**hint)


@dataclasses.dataclass
class RequestSpec:
    """The resources of one instance and every placement constraint.

    The caller resolves everything that needs the database before the
    scheduler runs: ``group_hosts`` maps host id to the number of group
    members already there, and ``same_host`` / ``different_host`` hold host
    ids. For those two, ``None`` means the hint is absent, while an empty set
    means the hint named schedules that have no host (so ``same_host``
    passes no host, as in Nova). ``ignore_hosts`` and ``force_hosts`` hold
    host names; empty means absent. ``query`` is a parsed JsonFilter query
    that ``filters.json_filter.validate_query`` has accepted.
    ``tolerations`` become ``taints.Toleration``s and ``preferences``
    ``Preference``s, their queries compiled here, once per request.
    ``group_topology_key`` is the failure domain of the group's policy
    (``topology.py``), ``max_per_domain`` how many members of an
    anti-affinity group one domain may hold. ``spread`` (a ``Spread``)
    counts ``group_hosts`` too: without a group it holds only the hosts
    the driver picked for this request's earlier instances.

    The driver adds each host it picks to ``group_hosts``, so the spec is
    not reusable as is for a second attempt: rebuild it (or pass a copy made
    with ``dataclasses.replace(spec, group_hosts=dict(spec.group_hosts))``).
    """

    project_id: str
    vcpus: int
    memory_mb: int
    disk_gb: int
    num_instances: int = 1
    availability_zone: str | None = None
    required_traits: frozenset = frozenset()
    forbidden_traits: frozenset = frozenset()
    metadata: dict = dataclasses.field(default_factory=dict)
    group: str | None = None
    group_policy: str | None = None
    group_hosts: dict = dataclasses.field(default_factory=dict)
    group_topology_key: str = topology.DEFAULT_KEY
    max_per_domain: int = 1
    spread: Spread | None = None
    same_host: set | None = None
    different_host: set | None = None
    query: list | None = None
    ignore_hosts: frozenset = frozenset()
    force_hosts: frozenset = frozenset()
    custom_resources: dict = dataclasses.field(default_factory=dict)
    tolerations: tuple = ()
    preferences: tuple = ()

    def __post_init__(self):
        if (self.group_policy is not None
                and self.group_policy not in GROUP_POLICIES):
            policies = ', '.join(sorted(GROUP_POLICIES))
            raise exception.InvalidHint(
                reason=f'group_policy must be one of {policies}, '
                       f'not {self.group_policy!r}')
        # Callers hand over lists from JSON; the filters rely on set algebra.
        self.required_traits = frozenset(self.required_traits)
        self.forbidden_traits = frozenset(self.forbidden_traits)
        self.ignore_hosts = frozenset(self.ignore_hosts)
        self.force_hosts = frozenset(self.force_hosts)
        if self.same_host is not None:
            self.same_host = set(self.same_host)
        if self.different_host is not None:
            self.different_host = set(self.different_host)
        self.tolerations = tuple(taints.toleration_of(t)
                                 for t in self.tolerations)
        self.preferences = tuple(Preference.of(p) for p in self.preferences)

    @property
    def resources(self):
        """Every class asked (amount > 0), the standard ones by class name."""
        asked = {name: getattr(self, field)
                 for name, field in capacity.STANDARD.items()
                 if getattr(self, field)}
        asked.update(self.custom_resources)
        return asked


@dataclasses.dataclass(frozen=True)
class Preference:
    """A soft wish: ``weight`` for every host ``query`` matches.

    ``matches`` is the query compiled by JsonFilter's compiler: a function
    ``HostTable -> boolean array`` over every row at once.
    """

    weight: int
    query: list
    matches: object = dataclasses.field(compare=False, repr=False)

    @classmethod
    def of(cls, preference):
        """A ``Preference`` of a validated ``{"weight", "query"}`` mapping
        (or itself)."""
        if isinstance(preference, cls):
            return preference
        return cls(preference['weight'], preference['query'],
                   json_filter.compile_query(preference['query']))
