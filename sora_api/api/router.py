"""The route table and the WSGI application that dispatches on it.

Every path the API serves is in ``ROUTES``; a known path asked with a method
it does not have gets 405 with ``Allow``, an unknown path 404. Domain errors
the controllers let through become contract-shaped answers here, by
``ERROR_MAP``.
"""

import routes
import webob

from sora_api import exception
from sora_api.api import deploy
from sora_api.api import errors
from sora_api.api import wsgi
from sora_api.api.controllers import capacity
from sora_api.api.controllers import events
from sora_api.api.controllers import groups
from sora_api.api.controllers import hosts
from sora_api.api.controllers import metrics
from sora_api.api.controllers import quotas
from sora_api.api.controllers import resource_classes
from sora_api.api.controllers import root
from sora_api.api.controllers import schedules
from sora_api.api.controllers import ui

# path -> {method: (controller, action)}
ROUTES = {
    '/': {'GET': ('root', 'versions')},
    '/healthcheck': {'GET': ('root', 'healthcheck')},
    '/openapi.json': {'GET': ('root', 'openapi')},
    '/metrics': {'GET': ('metrics', 'show')},
    '/v1/hosts': {'GET': ('hosts', 'index'), 'POST': ('hosts', 'create')},
    '/v1/hosts/bulk': {'POST': ('hosts', 'create_many')},
    '/v1/hosts/{host_id}': {'GET': ('hosts', 'show'),
                            'PUT': ('hosts', 'update'),
                            'DELETE': ('hosts', 'delete')},
    '/v1/hosts/{host_id}/heartbeat': {'POST': ('hosts', 'heartbeat')},
    '/v1/hosts/{host_id}/drain': {'POST': ('hosts', 'drain')},
    '/v1/schedules': {'GET': ('schedules', 'index'),
                      'POST': ('schedules', 'create')},
    '/v1/schedules/{schedule_id}': {'GET': ('schedules', 'show'),
                                    'DELETE': ('schedules', 'delete')},
    '/v1/schedules/{schedule_id}/confirm': {
        'POST': ('schedules', 'confirm')},
    '/v1/schedules/{schedule_id}/move': {'POST': ('schedules', 'move')},
    '/v1/schedules/{schedule_id}/resize': {'POST': ('schedules', 'resize')},
    '/v1/capacity': {'POST': ('capacity', 'create')},
    '/v1/resource_classes': {'GET': ('resource_classes', 'index')},
    '/v1/resource_classes/{name}': {
        'PUT': ('resource_classes', 'update'),
        'DELETE': ('resource_classes', 'delete')},
    '/v1/quotas/{project_id}': {'GET': ('quotas', 'show'),
                                'PUT': ('quotas', 'update'),
                                'DELETE': ('quotas', 'delete')},
    '/v1/usages': {'GET': ('usages', 'show')},
    '/v1/groups': {'GET': ('groups', 'index')},
    '/v1/groups/{name}': {'GET': ('groups', 'show')},
    '/v1/events': {'GET': ('events', 'index')},
    '/ui': {'GET': ('ui', 'to_index')},
    '/ui/': {'GET': ('ui', 'index')},
    '/ui/{asset}': {'GET': ('ui', 'asset')},
}

# Domain exception -> (status, code). Checked in order: subclasses first.
ERROR_MAP = (
    (exception.Forbidden, 403, errors.FORBIDDEN),
    (exception.HostNotFound, 404, errors.NOT_FOUND),
    (exception.ScheduleNotFound, 404, errors.NOT_FOUND),
    (exception.GroupNotFound, 404, errors.NOT_FOUND),
    (exception.ResourceClassNotFound, 404, errors.NOT_FOUND),
    (exception.ResourceClassInUse, 409, errors.IN_USE),
    (exception.UnknownResourceClass, 400, errors.INVALID_REQUEST),
    (exception.OverQuota, 403, errors.OVER_QUOTA),
    (exception.HostNameExists, 409, errors.CONFLICT),
    (exception.HostInUse, 409, errors.IN_USE),
    (exception.GenerationConflict, 412, errors.CONFLICT),
    (exception.ScheduleGenerationConflict, 412, errors.CONFLICT),
    (exception.ScheduleStatusConflict, 409, errors.CONFLICT),
    (exception.GroupPolicyConflict, 409, errors.CONFLICT),
    (exception.HoldExpired, 409, errors.HOLD_EXPIRED),
    (exception.NoValidHost, 409, errors.NO_VALID_HOST),
    (exception.IdempotencyMismatch, 422, errors.IDEMPOTENCY_MISMATCH),
    (exception.MarkerNotFound, 400, errors.INVALID_REQUEST),
    (exception.InvalidHint, 400, errors.INVALID_REQUEST),
    (exception.DatabaseUnavailable, 503, errors.SERVICE_UNAVAILABLE),
)

# environ key of the matched route template (``/v1/hosts/{host_id}``).
ROUTE_KEY = 'sora.route'

_UUID_REQUIREMENT = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-' \
                    '[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'


_UUID_PARAMS = ('host_id', 'schedule_id')
# A group's name may hold any character, "/" too (sent as %2F, which the
# server decodes before routing): it is the rest of the path. A dashboard
# asset is one of the files the dashboard serves.
_PATH_REQUIREMENTS = {'/v1/groups/{name}': {'name': '.+'},
                      '/ui/{asset}': {'asset': ui.ASSET}}


def _mapper():
    mapper = routes.Mapper()
    for path, methods in ROUTES.items():
        requirements = dict(dict.fromkeys(_UUID_PARAMS, _UUID_REQUIREMENT),
                            **_PATH_REQUIREMENTS.get(path, {}))
        for method, (controller, action) in methods.items():
            mapper.connect(path, controller=controller, action=action,
                           conditions={'method': [method]},
                           requirements=requirements)
        # Any other method on a known path is a 405.
        mapper.connect(path, controller=None, action='method_not_allowed',
                       allow=', '.join(sorted(methods)),
                       requirements=requirements)
    return mapper


class Application:
    """Match the route, call the controller action, render domain errors."""

    def __init__(self, services):
        self.mapper = _mapper()
        endpoint = services.conf.api.public_endpoint
        self.public_endpoint = endpoint.rstrip('/') if endpoint else None
        self.controllers = {
            'root': root.RootController(services),
            'events': events.EventsController(services),
            'ui': ui.UiController(services),
            'hosts': hosts.HostsController(services),
            'metrics': metrics.MetricsController(services),
            'schedules': schedules.SchedulesController(services),
            'capacity': capacity.CapacityController(services),
            'resource_classes':
                resource_classes.ResourceClassesController(services),
            'quotas': quotas.QuotasController(services),
            'usages': quotas.UsagesController(services),
            'groups': groups.GroupsController(services),
        }

    def __call__(self, environ, start_response):
        req = webob.Request(environ)
        if self.public_endpoint:
            environ[wsgi.PUBLIC_ENDPOINT_KEY] = self.public_endpoint
        try:
            response = self._dispatch(req)
        except errors.ApiError as e:
            response = errors.to_response(e, environ)
        except exception.SoraException as e:
            response = errors.to_response(_translate(e), environ)
        return response(environ, start_response)

    def _dispatch(self, req):
        found = self.mapper.routematch(environ=req.environ)
        if found is None:
            raise errors.ApiError(404, errors.NOT_FOUND,
                                  'The resource could not be found.')
        match, route = dict(found[0]), found[1]
        # The template the request matched, for the metrics middleware.
        req.environ[ROUTE_KEY] = route.routepath
        if match['action'] == 'method_not_allowed':
            raise errors.ApiError(
                405, errors.METHOD_NOT_ALLOWED,
                'The method %s is not allowed on this resource.'
                % req.method, headers={'Allow': match['allow']})
        controller = self.controllers[match.pop('controller')]
        action = getattr(controller, match.pop('action'))
        # Ids are stored in lower case; accept them in any case in paths.
        # Project ids, class and group names are taken as they are.
        return action(req, **{k: v.lower() if k in _UUID_PARAMS
                              else _path_text(v)
                              for k, v in match.items()})


def _path_text(value):
    """A path parameter as text: WSGI hands the path's bytes over as
    latin-1 characters (PEP 3333), and URLs carry UTF-8."""
    try:
        return value.encode('latin-1').decode('utf-8')
    except UnicodeError:
        raise errors.ApiError(404, errors.NOT_FOUND,
                              'The resource could not be found.') from None


def _translate(error):
    for cls, status, code in ERROR_MAP:
        if isinstance(error, cls):
            extra = {}
            if isinstance(error, exception.NoValidHost):
                extra['explanation'] = error.explanation
                extra['nearest'] = error.nearest
                extra['relaxations'] = error.relaxations
            return errors.ApiError(status, code, error.message, **extra)
    raise error


def app_factory(global_conf, **local_conf):
    return Application(deploy.services_from(global_conf))
