"""The OpenAPI 3 description of v1, built from the route table and schemas.

Request bodies reuse the JSON Schemas the controllers validate with, so the
document cannot drift from what the server accepts; a test checks that its
paths and methods are exactly ``router.ROUTES``.
"""

import copy

from sora_api.api.controllers import ui
from sora_api.api.schemas import common
from sora_api.api.schemas import events as event_schemas
from sora_api.api.schemas import groups as group_schemas
from sora_api.api.schemas import hosts as host_schemas
from sora_api.api.schemas import placement as placement_schemas
from sora_api.api.schemas import quotas as quota_schemas
from sora_api.api.schemas import resource_classes as class_schemas
from sora_api.api.schemas import schedules as schedule_schemas

VERSION = '1.0'

_ERROR = {
    'type': 'object', 'required': ['errors'],
    'properties': {'errors': {'type': 'array', 'items': {
        'type': 'object',
        'required': ['status', 'code', 'title', 'detail', 'request_id'],
        'properties': {
            'status': {'type': 'integer'}, 'code': {'type': 'string'},
            'title': {'type': 'string'}, 'detail': {'type': 'string'},
            'request_id': {'type': 'string'},
            'explanation': {'type': 'array', 'items': {'$ref':
                            '#/components/schemas/FunnelStep'}},
            'nearest': {'type': 'array', 'items': {'$ref':
                        '#/components/schemas/NearHost'}},
            'relaxations': {'type': 'array', 'items': {'$ref':
                            '#/components/schemas/Relaxation'}}}}}},
}

_TIME = {'type': 'string', 'format': 'date-time'}
_NULLABLE_TIME = {'type': ['string', 'null'], 'format': 'date-time'}

_INVENTORY_READ = {'type': 'object', 'properties': dict(
    copy.deepcopy(host_schemas.INVENTORY['properties']),
    # A standard class's max_unit reads as its usable capacity, which a
    # ratio above 1 takes past any total a host may be given.
    max_unit={'type': 'integer', 'minimum': 0, 'description': 'The most '
              'one instance may take; of a standard class, the usable '
              'capacity (total x allocation_ratio - reserved).'},
    used={'type': 'integer'})}

_HOST = {
    'type': 'object',
    'properties': dict(
        copy.deepcopy(host_schemas.create['properties']),
        inventories={'type': 'object', 'description': 'Every class of the '
                     'host, the standard ones included.',
                     'additionalProperties': _INVENTORY_READ},
        id=common.UUID, vcpus_used={'type': 'integer'},
        memory_mb_used={'type': 'integer'}, disk_gb_used={'type': 'integer'},
        instances={'type': 'integer'}, last_heartbeat=_NULLABLE_TIME,
        status={'type': 'string', 'enum': ['up', 'down']},
        generation={'type': 'integer'}, created_at=_TIME, updated_at=_TIME),
}

_ALLOCATION = {'type': 'object', 'properties': {
    'instance_index': {'type': 'integer'}, 'host_id': common.UUID,
    'host_name': {'type': 'string'}}}

_SCHEDULE = {'type': 'object', 'properties': {
    'id': common.UUID, 'project_id': {'type': 'string'},
    'user_id': {'type': 'string'}, 'status': {'type': 'string'},
    'resources': {'type': 'object'}, 'num_instances': {'type': 'integer'},
    'allocations': {'type': 'array', 'items': _ALLOCATION},
    'hints': {'type': 'object'}, 'created_at': _TIME, 'updated_at': _TIME,
    'generation': {'type': 'integer'},
    'expires_at': {'type': ['string', 'null'], 'format': 'date-time'},
    'tolerations': copy.deepcopy(placement_schemas.TOLERATIONS),
    'preferences': copy.deepcopy(placement_schemas.PREFERENCES)}}

_IF_MATCH = {'name': 'If-Match', 'in': 'header', 'required': False,
             'schema': {'type': 'string'}}

_FUNNEL_STEP = {'type': 'object', 'properties': {
    'filter': {'type': 'string'}, 'hosts_in': {'type': 'integer'},
    'hosts_out': {'type': 'integer'}}}

_DRY_RUN = {'type': 'object', 'properties': {
    'candidates': {'type': 'array', 'items': {'type': 'object', 'properties': {
        'host_id': common.UUID, 'host_name': {'type': 'string'},
        'weight': {'type': 'number'},
        'weights': {'type': 'object',
                    'additionalProperties': {'type': 'number'}}}}},
    'explanation': {'type': 'array',
                    'items': {'$ref': '#/components/schemas/FunnelStep'}},
    'nearest': {'type': 'array',
                'items': {'$ref': '#/components/schemas/NearHost'}},
    'relaxations': {'type': 'array',
                    'items': {'$ref': '#/components/schemas/Relaxation'}}}}

_NEAR_HOST = {'type': 'object', 'description': 'A host that came close: '
              'the filters it failed, and per class what it lacks for one '
              'instance.', 'properties': {
                  'host_id': common.UUID, 'host_name': {'type': 'string'},
                  'failed_filters': {'type': 'array',
                                     'items': {'type': 'string'}},
                  'shortfall': {'type': 'object', 'additionalProperties':
                                {'type': 'integer'}}}}

_RELAXATION = {'type': 'object', 'description': 'One change to the request '
               'with which it would fit now.', 'properties': {
                   'field': {'type': 'string', 'description': 'A path into '
                             'the request, e.g. resources.MEMORY_MB.'},
                   'to': {'description': 'The new value; null drops the '
                          'field.'},
                   'hosts': {'type': 'integer', 'description': 'How many '
                             'hosts would then take it.'}}}

_CAPACITY = {'type': 'object', 'properties': {'capacity': {
    'type': 'object', 'properties': {
        'instances': {'type': 'integer'},
        'by_availability_zone': {'type': 'object', 'additionalProperties':
                                 {'type': 'integer'}},
        'limited_by': {'type': 'object', 'description': 'Hosts counted by '
                       'the class that runs out first on them.',
                       'additionalProperties': {'type': 'integer'}},
        'quota_remaining': {'type': ['integer', 'null'], 'description':
                            'null: unlimited.'}}}}}

_USAGE = {'type': 'object', 'description': 'instances and the amount of '
          'each class held.', 'properties': {
              'project_id': {'type': 'string'},
              'instances': {'type': 'integer'}},
          'additionalProperties': {'type': 'integer'}}

_QUOTA = {'type': 'object', 'properties': {'quota': {
    'type': 'object', 'properties': {
        'project_id': {'type': 'string'},
        'limits': {'type': 'object', 'description': '-1 is unlimited.',
                   'additionalProperties': {'type': 'integer'}},
        'usage': _USAGE}}}}

_RESOURCE_CLASS = {'type': 'object', 'properties': {
    'name': {'type': 'string'}, 'standard': {'type': 'boolean'}}}

_GROUP_FIELDS = {
    'name': {'type': 'string'},
    'policy': {'type': ['string', 'null']},
    'topology_key': {'type': ['string', 'null'], 'description': 'host, '
                     'availability_zone or metadata.<key>; null without a '
                     'policy.'},
    'max_per_domain': {'type': ['integer', 'null'], 'description': 'Set '
                       'for anti-affinity only.'}}

_GROUP_SUMMARY = {'type': 'object', 'properties': dict(
    _GROUP_FIELDS, members={'type': 'integer',
                            'description': 'Live instances of the group.'},
    project_id={'type': 'string',
                'description': 'With all_projects only: its project.'})}

_GROUP = {'type': 'object', 'properties': dict(
    _GROUP_FIELDS,
    members={'type': 'array', 'items': {'type': 'object', 'properties': {
        'schedule_id': common.UUID, 'instance_index': {'type': 'integer'},
        'host_id': common.UUID, 'host_name': {'type': 'string'},
        'domain': {'type': ['string', 'null'], 'description': "The host's "
                   'domain under the topology key now (host: its name); '
                   'null when it lacks the metadata key.'}}}},
    domains={'type': 'object', 'description': 'Members per domain.',
             'additionalProperties': {'type': 'integer'}},
    largest_domain_share={'type': 'integer', 'description': 'How many '
                          "members one domain's failure takes."},
    policy_holds={'type': 'boolean'},
    violations={'type': 'array', 'items': {'type': 'object', 'properties': {
        'reason': {'type': 'string', 'enum': [
            'host_down', 'host_without_domain', 'too_many_in_domain',
            'split_across_domains']},
        'detail': {'type': 'string'}}}})}
_EVENT = {'type': 'object', 'required': ['id', 'time', 'type'],
          'properties': {
              'id': {'type': 'integer'}, 'time': _TIME,
              'type': {'type': 'string', 'enum': [
                  'host.created', 'host.updated', 'host.deleted',
                  'host.down', 'host.up', 'schedule.created',
                  'schedule.updated', 'schedule.deleted',
                  'schedule.expired']},
              'host_id': common.UUID, 'schedule_id': common.UUID,
              'project_id': {'type': 'string'}}}

_LINKS = {'type': 'array', 'items': {'type': 'object', 'properties': {
    'rel': {'type': 'string'}, 'href': {'type': 'string'}}}}


def _ref(name):
    return {'$ref': '#/components/schemas/%s' % name}


def _json(schema):
    return {'content': {'application/json': {'schema': schema}}}


def _answer(description, schema=None, headers=None):
    answer = {'description': description}
    if schema is not None:
        answer.update(_json(schema))
    if headers:
        answer['headers'] = {h: {'schema': {'type': 'string'}}
                             for h in headers}
    return answer


def _errors(*statuses):
    return {str(s): {'$ref': '#/components/responses/Error'}
            for s in statuses}


def _query_parameters(schema):
    params = []
    for name, prop in schema['properties'].items():
        repeatable = 'maxItems' not in prop or prop['maxItems'] > 1
        params.append({'name': name, 'in': 'query', 'required': False,
                       'explode': True,
                       'schema': prop if repeatable else prop['items']})
    return params


def _schedule_action(summary, answer, body=None, required=False):
    """A ``POST /v1/schedules/{id}/ACTION``: guarded by ``If-Match``,
    answering the schedule after; a ``body`` (JSON schema) adds its 400
    and 413."""
    errors = [401, 403, 404, 409, 412]
    post = {'summary': summary, 'parameters': [_IF_MATCH]}
    if body is not None:
        errors += [400, 413]
        post['requestBody'] = dict(_json(body), required=required)
    post['responses'] = dict(_errors(*sorted(errors)), **{'200': answer})
    return {'parameters': _path_id('schedule_id'), 'post': post}


def _path_id(name, schema=common.UUID):
    return [{'name': name, 'in': 'path', 'required': True,
             'schema': schema}]


_AUTH = [{'token': []}, {'bearer': []}]


def _paths(max_instances, max_hold_seconds):
    one_host = _answer('The host.', {'type': 'object', 'properties': {
        'host': _ref('Host')}}, ['ETag'])
    one_schedule = {'type': 'object', 'properties': {
        'schedule': _ref('Schedule')}}
    schedule_answer = _answer('The schedule.', one_schedule, ['ETag'])
    return {
        '/': {'get': {
            'summary': 'API versions.', 'security': [],
            'responses': {'200': _answer('Versions.', {'type': 'object'})}}},
        '/healthcheck': {'get': {
            'summary': 'Health: the database answers.', 'security': [],
            'responses': dict(_errors(503), **{
                '200': _answer('Healthy.', {'type': 'object'})})}},
        '/openapi.json': {'get': {
            'summary': 'This document.', 'security': [],
            'responses': {'200': _answer('OpenAPI 3 document.',
                                         {'type': 'object'})}}},
        '/metrics': {'get': {
            'summary': 'Prometheus metrics of the server (admin).',
            'description': 'Text exposition format; every worker counted.',
            'responses': dict(_errors(401, 403), **{'200': {
                'description': 'The metrics.',
                'content': {'text/plain': {'schema': {
                    'type': 'string'}}}}})}},
        '/v1/hosts': {
            'get': {'summary': 'List hosts (admin).',
                    'parameters': _query_parameters(host_schemas.list_query),
                    'responses': dict(_errors(400, 401, 403), **{
                        '200': _answer('A page of hosts.', {
                            'type': 'object', 'properties': {
                                'hosts': {'type': 'array',
                                          'items': _ref('Host')},
                                'links': _LINKS}})})},
            'post': {'summary': 'Register a host (admin).',
                     'requestBody': dict(_json(host_schemas.create),
                                         required=True),
                     'responses': dict(_errors(400, 401, 403, 409, 413), **{
                         '201': dict(one_host, headers={
                             'Location': {'schema': {'type': 'string'}},
                             'ETag': {'schema': {'type': 'string'}}})})}},
        '/v1/hosts/bulk': {
            'post': {'summary': 'Register up to %d hosts at once, all or '
                                'none (admin).' % host_schemas.MAX_BULK,
                     'requestBody': dict(_json(host_schemas.bulk_create),
                                         required=True),
                     'responses': dict(_errors(400, 401, 403, 409, 413), **{
                         '201': _answer('The hosts, in request order.', {
                             'type': 'object', 'properties': {
                                 'hosts': {'type': 'array',
                                           'items': _ref('Host')}}})})}},
        '/v1/hosts/{host_id}': {
            'parameters': _path_id('host_id'),
            'get': {'summary': 'Show a host (admin).',
                    'responses': dict(_errors(401, 403, 404),
                                      **{'200': one_host})},
            'put': {'summary': 'Update some fields of a host (admin).',
                    'parameters': [{'name': 'If-Match', 'in': 'header',
                                    'required': False,
                                    'schema': {'type': 'string'}}],
                    'requestBody': dict(_json(host_schemas.update),
                                        required=True),
                    'responses': dict(_errors(400, 401, 403, 404, 409, 412,
                                              413), **{'200': one_host})},
            'delete': {'summary': 'Delete a host without allocations.',
                       'responses': dict(_errors(401, 403, 404, 409), **{
                           '204': _answer('Deleted.')})}},
        '/v1/hosts/{host_id}/heartbeat': {
            'parameters': _path_id('host_id'),
            'post': {'summary': 'Record that the host is alive.',
                     'requestBody': dict(_json(host_schemas.heartbeat),
                                         required=False),
                     'responses': dict(_errors(400, 401, 403, 404), **{
                         '204': _answer('Recorded.')})}},
        '/v1/hosts/{host_id}/drain': {
            'parameters': _path_id('host_id'),
            'post': {'summary': 'Disable a host and move its instances off.',
                     'requestBody': dict(_json(host_schemas.drain),
                                         required=False),
                     'responses': dict(_errors(400, 401, 403, 404, 413), **{
                         '200': _answer('The moves and what is stuck.', {
                             'type': 'object', 'properties': {
                                 'moves': {'type': 'array'},
                                 'stuck': {'type': 'array'}}})})}},
        '/v1/schedules': {
            'get': {'summary': "List the project's schedules.",
                    'parameters': _query_parameters(
                        schedule_schemas.list_query),
                    'responses': dict(_errors(400, 401, 403), **{
                        '200': _answer('A page of schedules.', {
                            'type': 'object', 'properties': {
                                'schedules': {'type': 'array',
                                              'items': _ref('Schedule')},
                                'links': _LINKS}})})},
            'post': {'summary': 'Place instances and claim resources.',
                     'parameters': [{'name': 'Idempotency-Key',
                                     'in': 'header', 'required': False,
                                     'schema': schedule_schemas
                                     .IDEMPOTENCY_KEY}],
                     'requestBody': dict(_json(schedule_schemas.create(
                         max_instances, max_hold_seconds)), required=True),
                     'responses': dict(_errors(400, 401, 403, 409, 413, 422),
                                       **{'201': _answer(
                                           'Placed and claimed.',
                                           one_schedule,
                                           ['Location', 'ETag']),
                                          '200': _answer('Dry run.',
                                                         _ref('DryRun'))})}},
        '/v1/schedules/{schedule_id}': {
            'parameters': _path_id('schedule_id'),
            'get': {'summary': 'Show a schedule.',
                    'responses': dict(_errors(401, 403, 404), **{
                        '200': schedule_answer})},
            'delete': {'summary': 'Release every allocation of a schedule.',
                       'parameters': [_IF_MATCH],
                       'responses': dict(_errors(401, 403, 404, 412), **{
                           '204': _answer('Deleted.')})}},
        '/v1/schedules/{schedule_id}/confirm': _schedule_action(
            'Confirm a held schedule: it stays.', schedule_answer),
        '/v1/schedules/{schedule_id}/move': _schedule_action(
            'Move instances to other hosts.', schedule_answer,
            schedule_schemas.move, required=False),
        '/v1/schedules/{schedule_id}/resize': _schedule_action(
            'Give every instance new resources.', schedule_answer,
            schedule_schemas.RESIZE, required=True),
        '/v1/capacity': {
            'post': {'summary': 'How many more instances of a request fit '
                                'now, per zone; nothing is claimed.',
                     'requestBody': dict(_json(schedule_schemas.capacity(
                         max_hold_seconds)), required=True),
                     'responses': dict(_errors(400, 401, 403, 413), **{
                         '200': _answer('The capacity.', _CAPACITY)})}},
        '/v1/resource_classes': {
            'get': {'summary': 'List the resource classes (marker: a '
                               'class name).',
                    'parameters': _query_parameters(
                        class_schemas.list_query),
                    'responses': dict(_errors(400, 401, 403), **{
                        '200': _answer('Standard classes, then custom.', {
                            'type': 'object', 'properties': {
                                'resource_classes': {
                                    'type': 'array',
                                    'items': _RESOURCE_CLASS},
                                'links': _LINKS}})})}},
        '/v1/resource_classes/{name}': {
            'parameters': _path_id('name', common.CUSTOM_CLASS),
            'put': {'summary': 'Create a custom class (admin).',
                    'responses': dict(_errors(400, 401, 403), **{
                        '201': _answer('Created.', {
                            'type': 'object', 'properties': {
                                'resource_class': _RESOURCE_CLASS}},
                            ['Location']),
                        '204': _answer('It already exists.')})},
            'delete': {'summary': 'Delete a custom class no host has '
                                  '(admin).',
                       'responses': dict(_errors(400, 401, 403, 404, 409), **{
                           '204': _answer('Deleted.')})}},
        '/v1/quotas/{project_id}': {
            'parameters': _path_id('project_id', common.NAME),
            'get': {'summary': "A project's limits and usage (admin, or "
                               'any role of the project).',
                    'responses': dict(_errors(400, 401, 403), **{
                        '200': _answer('The quota.', _QUOTA)})},
            'put': {'summary': "Replace a project's limits (admin).",
                    'requestBody': dict(_json(quota_schemas.update),
                                        required=True),
                    'responses': dict(_errors(400, 401, 403, 413), **{
                        '200': _answer('The quota.', _QUOTA)})},
            'delete': {'summary': 'Back to the [quota] defaults (admin).',
                       'responses': dict(_errors(400, 401, 403), **{
                           '204': _answer('Deleted.')})}},
        '/v1/usages': {
            'get': {'summary': "A project's usage (another project's, or "
                               'all_projects: admin, paginated with a '
                               'project id as marker).',
                    'parameters': _query_parameters(
                        quota_schemas.usage_query),
                    'responses': dict(_errors(400, 401, 403), **{
                        '200': _answer('The usage, or every project\'s.', {
                            'type': 'object', 'properties': {
                                'usage': _USAGE,
                                'usages': {'type': 'array',
                                           'items': _USAGE},
                                'links': _LINKS}})})}},
        '/v1/groups': {
            'get': {'summary': "The project's groups with live instances "
                               '(marker: a group name); all_projects: '
                               "admin, every project's, by project and "
                               'name (marker: <project id>/<name>).',
                    'parameters': _query_parameters(group_schemas.list_query),
                    'responses': dict(_errors(400, 401, 403), **{
                        '200': _answer('The groups, by name.', {
                            'type': 'object', 'properties': {
                                'groups': {'type': 'array',
                                           'items': _GROUP_SUMMARY},
                                'links': _LINKS}})})}},
        '/v1/groups/{name}': {
            'parameters': _path_id('name', common.NAME),
            'get': {'summary': "A group's members, their domains, and "
                               'whether its policy holds now (admin: '
                               "project_id=P, another project's group). "
                               'Escape the name as one path segment '
                               '("/" as %2F).',
                    'parameters': _query_parameters(
                        group_schemas.show_query),
                    'responses': dict(_errors(400, 401, 403, 404), **{
                        '200': _answer('The group.', {
                            'type': 'object',
                            'properties': {'group': _GROUP}})})}},
        '/ui': {'get': {
            'summary': 'Sends a browser to /ui/.',
            'security': [],
            'responses': {'301': {
                'description': 'The dashboard is at /ui/.',
                'headers': {'Location': {'schema': {'type': 'string'}}}}}}},
        '/ui/': {'get': {
            'summary': "The operator's dashboard (asks for a token).",
            'security': [],
            'responses': {'200': {'description': 'The page.', 'content': {
                'text/html': {'schema': {'type': 'string'}}}}}}},
        '/ui/{asset}': {
            'parameters': [{'name': 'asset', 'in': 'path', 'required': True,
                            'schema': {'type': 'string',
                                       'pattern': '^%s$' % ui.ASSET}}],
            'get': {'summary': "A script or stylesheet of the dashboard.",
                    'security': [],
                    'responses': dict(_errors(404), **{'200': {
                        'description': 'The file.', 'content': {
                            'text/javascript': {'schema': {
                                'type': 'string'}},
                            'text/css': {'schema': {'type': 'string'}}}}})}},
        '/v1/events': {
            'get': {'summary': 'The change feed, oldest first; long poll '
                               'with wait (at most %d s).'
                               % event_schemas.MAX_WAIT,
                    'description': 'Admin sees every event, other roles '
                                   "their project's schedule events.",
                    'parameters': _query_parameters(
                        event_schemas.list_query),
                    'responses': dict(_errors(400, 401, 403), **{
                        '200': _answer('Events and the next since.', {
                            'type': 'object', 'properties': {
                                'events': {'type': 'array',
                                           'items': _ref('Event')},
                                'next': {'type': 'integer'},
                                'truncated': {'type': 'boolean'}}})})}},
    }


def document(server_url, max_instances=100, max_hold_seconds=3600):
    """The OpenAPI 3.1 document, with ``server_url`` as the server."""
    return {
        'openapi': '3.1.0',
        'info': {'title': 'Sora API', 'version': VERSION,
                 'description': 'Filter-and-weigh scheduling of instances '
                                'onto compute hosts.'},
        'servers': [{'url': server_url}],
        'security': _AUTH,
        'paths': _paths(max_instances, max_hold_seconds),
        'components': {
            'securitySchemes': {'token': {'type': 'apiKey', 'in': 'header',
                                          'name': 'X-Auth-Token'},
                                'bearer': {'type': 'http',
                                           'scheme': 'bearer'}},
            'schemas': {'Host': _HOST, 'Schedule': _SCHEDULE,
                        'Error': _ERROR, 'FunnelStep': _FUNNEL_STEP,
                        'DryRun': _DRY_RUN, 'NearHost': _NEAR_HOST,
                        'Relaxation': _RELAXATION, 'Event': _EVENT},
            'responses': {'Error': _answer('An error.', _ref('Error'))},
        },
    }
