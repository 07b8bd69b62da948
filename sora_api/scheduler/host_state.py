"""The scheduler's in-memory view of one host: capacity, usage and offers."""

import copy

from sora_api import capacity
from sora_api.scheduler import taints as taints_module


class HostState:
    """One host as the filters and weighers see it.

    The caller builds it from the database (usage is the sum of live
    allocations) and computes liveness itself, so the scheduler needs neither
    SQL nor a clock. ``__slots__`` keeps a 100k-host snapshot small and its
    attribute reads fast; ``consume`` is the only mutation, as in Nova.
    """

    __slots__ = (
        'availability_zone',
        'cpu_allocation_ratio',
        'disk_allocation_ratio',
        'disk_gb',
        'disk_gb_used',
        'enabled',
        'id',
        'instances',
        'inventories',
        'io_ops',
        'memory_mb',
        'memory_mb_used',
        'metadata',
        'name',
        'projects',
        'ram_allocation_ratio',
        'reserved_disk_gb',
        'reserved_memory_mb',
        'reserved_vcpus',
        'taints',
        'traits',
        'up',
        'vcpus',
        'vcpus_used',
    )

    def __init__(self, *, id, name, vcpus, memory_mb, disk_gb,
                 availability_zone=None, enabled=True, up=True,
                 cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0,
                 disk_allocation_ratio=1.0, reserved_vcpus=0,
                 reserved_memory_mb=0, reserved_disk_gb=0, vcpus_used=0,
                 memory_mb_used=0, disk_gb_used=0, instances=0, traits=(),
                 metadata=None, io_ops=0, inventories=None, taints=(),
                 projects=()):
        self.id = id
        self.name = name
        self.availability_zone = availability_zone
        self.enabled = bool(enabled)
        self.up = bool(up)
        self.vcpus = vcpus
        self.memory_mb = memory_mb
        self.disk_gb = disk_gb
        self.cpu_allocation_ratio = cpu_allocation_ratio
        self.ram_allocation_ratio = ram_allocation_ratio
        self.disk_allocation_ratio = disk_allocation_ratio
        self.reserved_vcpus = reserved_vcpus
        self.reserved_memory_mb = reserved_memory_mb
        self.reserved_disk_gb = reserved_disk_gb
        self.vcpus_used = vcpus_used
        self.memory_mb_used = memory_mb_used
        self.disk_gb_used = disk_gb_used
        self.instances = instances
        self.traits = frozenset(traits)
        self.metadata = dict(metadata or {})
        self.io_ops = io_ops
        # Custom class -> total, reserved, allocation_ratio, max_unit, used.
        self.inventories = dict(inventories or {})
        # ``Taint``s (mappings are converted); the projects the host is
        # dedicated to (empty: every project).
        self.taints = frozenset(taints_module.taint_of(t) for t in taints)
        self.projects = frozenset(projects)

    # NOTE: usable capacity is ``capacity.usable``, the function the
    # database applies when it decides a claim, so a host the filters pass
    # is a host the claim can succeed on.
    @property
    def usable_vcpus(self):
        return capacity.usable(self.vcpus, self.cpu_allocation_ratio,
                               self.reserved_vcpus)

    @property
    def usable_memory_mb(self):
        return capacity.usable(self.memory_mb, self.ram_allocation_ratio,
                               self.reserved_memory_mb)

    @property
    def usable_disk_gb(self):
        return capacity.usable(self.disk_gb, self.disk_allocation_ratio,
                               self.reserved_disk_gb)

    @property
    def free_vcpus(self):
        return self.usable_vcpus - self.vcpus_used

    @property
    def free_ram_mb(self):
        return self.usable_memory_mb - self.memory_mb_used

    @property
    def free_disk_gb(self):
        return self.usable_disk_gb - self.disk_gb_used

    def free(self, name):
        """Free amount of a class (standard or custom; none: 0)."""
        field = capacity.STANDARD.get(name)
        if field is not None:
            total, ratio, reserved, used = capacity.STANDARD_COLUMNS[field]
            return (capacity.usable(getattr(self, total), getattr(self, ratio),
                                    getattr(self, reserved))
                    - getattr(self, used))
        inventory = self.inventories.get(name)
        if inventory is None:
            return 0
        return capacity.usable(inventory['total'],
                               inventory['allocation_ratio'],
                               inventory['reserved']) - inventory['used']

    def max_unit(self, name):
        """The most of a custom class one instance may take here."""
        inventory = self.inventories.get(name)
        return 0 if inventory is None else inventory['max_unit']

    @property
    def free_disk_mb(self):
        return self.free_disk_gb * 1024

    def consume(self, spec):
        """Account for one more instance of ``spec`` being built here.

        Later instances of a multi-instance request then see this one. Like
        Nova's ``consume_from_request``, a building instance also counts as
        one in-flight I/O operation.
        """
        self.vcpus_used += spec.vcpus
        self.memory_mb_used += spec.memory_mb
        self.disk_gb_used += spec.disk_gb
        self.instances += 1
        self.io_ops += 1
        for name, amount in spec.custom_resources.items():
            self.inventories[name]['used'] += amount

    def copy(self):
        """An independent copy, so a placement never leaks into the input."""
        clone = HostState.__new__(HostState)
        for slot in HostState.__slots__:
            setattr(clone, slot, getattr(self, slot))
        clone.metadata = dict(self.metadata)
        clone.inventories = copy.deepcopy(self.inventories)
        return clone

    def __repr__(self):
        return (f'<HostState {self.name} ({self.id}) free: '
                f'{self.free_vcpus} vCPU, {self.free_ram_mb} MB RAM, '
                f'{self.free_disk_gb} GB disk>')
