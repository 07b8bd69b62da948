"""Schemas of the groups resource."""

from sora_api.api.schemas import common

list_query = {'type': 'object',
              'properties': {'limit': common.PAGINATION_PARAMS['limit'],
                             'marker': common.one(common.NAME),
                             'all_projects': common.BOOLEAN_PARAM},
              'additionalProperties': False}
# With all_projects, a marker is ``<project id>/<group name>``.
ALL_PROJECTS_MARKER = {'type': 'string', 'pattern': '^[^/]+/.'}
show_query = {'type': 'object',
              'properties': {'project_id': common.one(common.NAME)},
              'additionalProperties': False}
