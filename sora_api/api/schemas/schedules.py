"""Schemas of the schedules resource."""

from sora_api.api.schemas import common
from sora_api.api.schemas import placement

GROUP_POLICIES = ['affinity', 'anti-affinity', 'soft-affinity',
                  'soft-anti-affinity']

_SCHEDULE_IDS = {'type': 'array', 'items': common.UUID, 'uniqueItems': True,
                 'maxItems': 64}
_HOST_NAMES = {'type': 'array', 'items': common.HOST_NAME, 'uniqueItems': True,
               'maxItems': 1000}

# ``host``, ``availability_zone`` or ``metadata.<key>`` (a metadata key is
# a NAME: 1 to 255 printable characters). ``not`` also refuses the final
# newline ``$`` lets through.
TOPOLOGY_KEY = {'type': 'string',
                'pattern': '^(host|availability_zone|metadata\\..{1,255})$',
                'not': {'pattern': '[\\x00-\\x1f\\x7f]'}}
WHEN_UNSATISFIABLE = ['do_not_schedule', 'schedule_anyway']
_SPREAD = {
    'type': 'object',
    'properties': {
        'key': TOPOLOGY_KEY,
        'max_skew': {'type': 'integer', 'minimum': 1,
                     'maximum': common.MAX_INT},
        'when_unsatisfiable': {'type': 'string',
                               'enum': WHEN_UNSATISFIABLE},
    },
    'required': ['key'],
    'additionalProperties': False,
}

_HINTS = {
    'type': 'object',
    'properties': {
        'group': common.NAME,
        'group_policy': {'type': 'string', 'enum': GROUP_POLICIES},
        'same_host': _SCHEDULE_IDS,
        'different_host': _SCHEDULE_IDS,
        # The JsonFilter language is checked by its own validator.
        'query': {'type': 'array', 'minItems': 1},
        'ignore_hosts': _HOST_NAMES,
        'force_hosts': _HOST_NAMES,
        'group_topology_key': TOPOLOGY_KEY,
        'max_per_domain': {'type': 'integer', 'minimum': 1,
                           'maximum': common.MAX_INT},
        'spread': _SPREAD,
    },
    # max_per_domain with a policy other than anti-affinity: a 400 of
    # the controller's, which names the policy.
    'dependentRequired': {'group_policy': ['group'],
                          'group_topology_key': ['group', 'group_policy'],
                          'max_per_domain': ['group', 'group_policy']},
    'additionalProperties': False,
}


def create(max_instances, max_hold_seconds):
    """The POST body schema; ``num_instances`` and ``hold_seconds`` are
    capped by configuration."""
    return {
        'type': 'object',
        'properties': {
            'resources': {
                'type': 'object',
                'properties': {'vcpus': common.COUNT,
                               'memory_mb': common.COUNT,
                               'disk_gb': common.COUNT},
                # Any class by name, the standard ones too.
                'patternProperties': {
                    common.STANDARD_CLASS_PATTERN: common.COUNT,
                    common.CUSTOM_CLASS['pattern']: common.COUNT},
                'propertyNames': {'maxLength': common.CUSTOM_CLASS[
                    'maxLength']},
                'minProperties': 1,
                'maxProperties': 64,
                'additionalProperties': False,
            },
            'num_instances': {'type': 'integer', 'minimum': 1,
                              'maximum': max_instances},
            'availability_zone': common.NAME,
            'required_traits': common.TRAITS,
            'forbidden_traits': common.TRAITS,
            'metadata': common.METADATA,
            'hints': _HINTS,
            'tolerations': placement.TOLERATIONS,
            'preferences': placement.PREFERENCES,
            'dry_run': {'type': 'boolean'},
            'hold_seconds': {'type': 'integer', 'minimum': 1,
                             'maximum': max_hold_seconds},
        },
        'required': ['resources'],
        'additionalProperties': False,
    }


def capacity(max_hold_seconds):
    """The POST /v1/capacity body: a schedule request without
    ``num_instances`` and ``dry_run``."""
    body = create(1, max_hold_seconds)
    properties = dict(body['properties'])
    del properties['num_instances'], properties['dry_run']
    return dict(body, properties=properties)


list_query = common.query(
    status=common.one({'type': 'string',
                       'enum': ['active', 'held', 'expired']}),
    host_id=common.one(common.UUID),
    group=common.one(common.NAME),
    all_projects=common.BOOLEAN_PARAM,
)

def _resize():
    """The body of a resize: ``resources`` as a schedule request has them."""
    return {'type': 'object',
            'properties': {'resources': create(1, 1)['properties'][
                'resources']},
            'required': ['resources'], 'additionalProperties': False}


move = {
    'type': 'object',
    'properties': {
        'instance_index': {'type': 'integer', 'minimum': 0},
        'ignore_hosts': _HOST_NAMES,
    },
    'additionalProperties': False,
}

# Printable: PostgreSQL refuses NUL in text, which was a 500.
IDEMPOTENCY_KEY = {'type': 'string', 'minLength': 1, 'maxLength': 255,
                   'not': {'pattern': '[\\x00-\\x1f\\x7f]'}}

RESIZE = _resize()
