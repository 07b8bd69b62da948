"""Resource classes and the one formula of usable capacity.

The standard classes are columns of ``hosts`` under their v1 names; custom
classes (``CUSTOM_...``) are rows of ``inventories``. ``usable`` is the
contract's ``total * allocation_ratio - reserved`` and the only place it is
written: the SQL claim, the host table, the host view and the filters all
call it, with numbers, numpy arrays or SQLAlchemy columns alike.
"""

import re

# Standard class -> its v1 field name on hosts and in requests.
STANDARD = {'VCPU': 'vcpus', 'MEMORY_MB': 'memory_mb', 'DISK_GB': 'disk_gb'}
# v1 field -> (total, allocation ratio, reserved, used) columns of hosts.
STANDARD_COLUMNS = {
    'vcpus': ('vcpus', 'cpu_allocation_ratio', 'reserved_vcpus',
              'vcpus_used'),
    'memory_mb': ('memory_mb', 'ram_allocation_ratio', 'reserved_memory_mb',
                  'memory_mb_used'),
    'disk_gb': ('disk_gb', 'disk_allocation_ratio', 'reserved_disk_gb',
                'disk_gb_used'),
}
CUSTOM_PATTERN = '^CUSTOM_[A-Z0-9_]+$'
_CUSTOM = re.compile(CUSTOM_PATTERN)
MAX_NAME = 255


def usable(total, allocation_ratio, reserved):
    """Usable capacity: ``total * allocation_ratio - reserved``."""
    return total * allocation_ratio - reserved


def is_custom(name):
    return len(name) <= MAX_NAME and _CUSTOM.match(name) is not None


def field_of(name):
    """The v1 field of a standard class name; a custom name unchanged."""
    return STANDARD.get(name, name)


def class_of(field):
    """The class name of a v1 field (``vcpus`` -> ``VCPU``) or class."""
    for name, standard_field in STANDARD.items():
        if standard_field == field:
            return name
    return field
