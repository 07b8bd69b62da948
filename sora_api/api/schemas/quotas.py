"""Schemas of the quotas and usages resources."""

from sora_api import capacity
from sora_api.api.schemas import common

LIMIT = {'type': 'integer', 'minimum': -1, 'maximum': common.MAX_INT}

update = {
    'type': 'object',
    'properties': {'limits': {
        'type': 'object',
        'properties': {'instances': LIMIT},
        'patternProperties': {common.STANDARD_CLASS_PATTERN: LIMIT,
                              capacity.CUSTOM_PATTERN: LIMIT},
        'propertyNames': {'maxLength': capacity.MAX_NAME},
        'additionalProperties': False,
        'maxProperties': 256,
    }},
    'required': ['limits'],
    'additionalProperties': False,
}

usage_query = {
    'type': 'object',
    # ``limit`` and ``marker`` (a project id) page the all_projects list.
    'properties': {'project_id': common.one(common.NAME),
                   'all_projects': common.BOOLEAN_PARAM,
                   'limit': common.PAGINATION_PARAMS['limit'],
                   'marker': common.one(common.NAME)},
    'additionalProperties': False,
}
