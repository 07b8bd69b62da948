"""Schemas of the groups resource."""

from sora_api.api.schemas import common

list_query = {'type': 'object',
              'properties': {'limit': common.PAGINATION_PARAMS['limit'],
                             'marker': common.one(common.NAME)},
              'additionalProperties': False}
