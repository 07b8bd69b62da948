"""JSON Schemas of the ``/v1/resource_classes`` query strings."""

from sora_api import capacity
from sora_api.api.schemas import common

# The marker of this list is a class name, not an id.
list_query = {
    'type': 'object',
    'properties': {
        'limit': common.PAGINATION_PARAMS['limit'],
        'marker': common.one({'type': 'string', 'minLength': 1,
                              'maxLength': capacity.MAX_NAME}),
    },
    'additionalProperties': False,
}
