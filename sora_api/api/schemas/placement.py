"""Schemas of the placement-policy fields: host ``taints`` and
``projects``, request ``tolerations`` and ``preferences``.

What JSON Schema cannot say clearly (a taint given twice, ``Exists`` with a
value, a weight of 0, the query language) is checked by
``sora_api.api.placement``.
"""

from sora_api.api.schemas import common
from sora_api.scheduler import taints

# Most taints one host, tolerations or preferences one request, may carry.
MAX_TAINTS = 64
MAX_PROJECTS = 256
MAX_TOLERATIONS = 64
MAX_PREFERENCES = 16
MAX_PREFERENCE_WEIGHT = 100

_EFFECT = {'type': 'string', 'enum': list(taints.EFFECTS)}

TAINTS = {
    'type': 'array', 'maxItems': MAX_TAINTS,
    'items': {
        'type': 'object',
        'properties': {'key': common.NAME, 'value': common.TEXT,
                       'effect': _EFFECT},
        'required': ['key', 'effect'],
        'additionalProperties': False,
    },
}

PROJECTS = {'type': 'array', 'items': common.NAME, 'uniqueItems': True,
            'maxItems': MAX_PROJECTS}

TOLERATIONS = {
    'type': 'array', 'maxItems': MAX_TOLERATIONS,
    'items': {
        'type': 'object',
        'properties': {'key': common.NAME,
                       'operator': {'type': 'string',
                                    'enum': list(taints.OPERATORS)},
                       'value': common.TEXT, 'effect': _EFFECT},
        'additionalProperties': False,
    },
}

PREFERENCES = {
    'type': 'array', 'maxItems': MAX_PREFERENCES,
    'items': {
        'type': 'object',
        'properties': {
            'weight': {'type': 'integer',
                       'minimum': -MAX_PREFERENCE_WEIGHT,
                       'maximum': MAX_PREFERENCE_WEIGHT},
            # The JsonFilter language is checked by its own validator.
            'query': {'type': 'array', 'minItems': 1},
        },
        'required': ['weight', 'query'],
        'additionalProperties': False,
    },
}
