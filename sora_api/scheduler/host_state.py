"""The scheduler's in-memory view of one host: capacity, usage and offers."""


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
        'io_ops',
        'memory_mb',
        'memory_mb_used',
        'metadata',
        'name',
        'ram_allocation_ratio',
        'reserved_disk_gb',
        'reserved_memory_mb',
        'reserved_vcpus',
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
                 metadata=None, io_ops=0):
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

    # NOTE: usable capacity follows the public contract,
    # ``total * allocation_ratio - reserved``; the database applies the same
    # formula when it decides a claim, so a host the filters pass is a host
    # the claim can succeed on.
    @property
    def usable_vcpus(self):
        return self.vcpus * self.cpu_allocation_ratio - self.reserved_vcpus

    @property
    def usable_memory_mb(self):
        return (self.memory_mb * self.ram_allocation_ratio
                - self.reserved_memory_mb)

    @property
    def usable_disk_gb(self):
        return (self.disk_gb * self.disk_allocation_ratio
                - self.reserved_disk_gb)

    # NOTE: the free_* properties repeat the usable_* arithmetic rather
    # than call them: filters and weighers read them once per host, per
    # request, and a property call is most of their cost.
    @property
    def free_vcpus(self):
        return (self.vcpus * self.cpu_allocation_ratio - self.reserved_vcpus
                - self.vcpus_used)

    @property
    def free_ram_mb(self):
        return (self.memory_mb * self.ram_allocation_ratio
                - self.reserved_memory_mb - self.memory_mb_used)

    @property
    def free_disk_gb(self):
        return (self.disk_gb * self.disk_allocation_ratio
                - self.reserved_disk_gb - self.disk_gb_used)

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

    def copy(self):
        """An independent copy, so a placement never leaks into the input."""
        clone = HostState.__new__(HostState)
        for slot in HostState.__slots__:
            setattr(clone, slot, getattr(self, slot))
        clone.metadata = dict(self.metadata)
        return clone

    def __repr__(self):
        return (f'<HostState {self.name} ({self.id}) free: '
                f'{self.free_vcpus} vCPU, {self.free_ram_mb} MB RAM, '
                f'{self.free_disk_gb} GB disk>')
