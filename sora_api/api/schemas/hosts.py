"""Schemas of the hosts resource."""

from sora_api.api.schemas import common
from sora_api.api.schemas import placement

_RATIO = {'type': 'number', 'exclusiveMinimum': 0, 'maximum': 1e6}

INVENTORY = {
    'type': 'object',
    'properties': {'total': common.COUNT, 'reserved': common.COUNT,
                   'allocation_ratio': _RATIO, 'max_unit': common.COUNT},
    'required': ['total'],
    'additionalProperties': False,
}
# Custom classes one host may carry.
MAX_INVENTORIES = 64


def _inventories(inventory):
    return {'type': 'object', 'propertyNames': common.CUSTOM_CLASS,
            'additionalProperties': inventory,
            'maxProperties': MAX_INVENTORIES}


_PROPERTIES = {
    'name': common.HOST_NAME,
    'availability_zone': common.NAME,
    'enabled': {'type': 'boolean'},
    'disabled_reason': {'anyOf': [common.TEXT, {'type': 'null'}]},
    'vcpus': common.COUNT,
    'memory_mb': common.COUNT,
    'disk_gb': common.COUNT,
    'cpu_allocation_ratio': _RATIO,
    'ram_allocation_ratio': _RATIO,
    'disk_allocation_ratio': _RATIO,
    'reserved_vcpus': common.COUNT,
    'reserved_memory_mb': common.COUNT,
    'reserved_disk_gb': common.COUNT,
    'traits': common.TRAITS,
    'metadata': common.METADATA,
    'io_ops': common.COUNT,
    'taints': placement.TAINTS,
    'projects': placement.PROJECTS,
}

create = {
    'type': 'object',
    'properties': dict(_PROPERTIES, inventories=_inventories(INVENTORY)),
    'required': ['name', 'vcpus', 'memory_mb', 'disk_gb'],
    'additionalProperties': False,
}

# Hosts one bulk registration may carry.
MAX_BULK = 1000

bulk_create = {
    'type': 'object',
    'properties': {'hosts': {'type': 'array', 'items': create,
                             'minItems': 1, 'maxItems': MAX_BULK}},
    'required': ['hosts'],
    'additionalProperties': False,
}

update = {
    'type': 'object',
    # A class set to null is removed.
    'properties': dict(_PROPERTIES, inventories=_inventories(
        {'anyOf': [INVENTORY, {'type': 'null'}]})),
    'minProperties': 1,
    'additionalProperties': False,
}

heartbeat = {
    'type': 'object',
    'properties': {'io_ops': common.COUNT},
    'additionalProperties': False,
}

drain = {
    'type': 'object',
    'properties': {'dry_run': {'type': 'boolean'},
                   'reason': dict(common.TEXT, minLength=1)},
    'additionalProperties': False,
}

list_query = common.query(
    name=common.one(common.HOST_NAME),
    availability_zone=common.one(common.NAME),
    enabled=common.BOOLEAN_PARAM,
    status=common.one({'type': 'string', 'enum': ['up', 'down']}),
    trait={'type': 'array', 'items': common.TRAIT, 'maxItems': 64},
)
