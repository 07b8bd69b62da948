"""``/v1/schedules``: place instances on hosts and claim their resources."""

import json

from sora_api import capacity
from sora_api import timeutils
from sora_api.api import controllers
from sora_api.api import errors
from sora_api.api import placement
from sora_api.api import wsgi
from sora_api.api.schemas import schedules as schema
from sora_api.db import holds as db_holds
from sora_api.db import schedules as db_schedules
from sora_api.scheduler.filters import json_filter


class SchedulesController(controllers.Controller):

    def __init__(self, services):
        super().__init__(services)
        self.create_schema = schema.create(
            self.conf.scheduler.max_instances_per_request,
            self.conf.scheduler.max_hold_seconds)

    def index(self, req):
        """GET /v1/schedules: the caller's project (admin: all_projects)."""
        self.authorize(req, 'sora:schedule:list')
        params = wsgi.query_params(req, schema.list_query)
        all_projects = params.get('all_projects', ['false'])[0] == 'true'
        if all_projects:
            self.authorize(req, 'sora:schedule:list:all_projects')
        limit = wsgi.limit(params, self.conf)
        self.expire_holds()
        rows = db_schedules.list_schedules(
            self.services.db, limit + 1,
            project_id=None if all_projects else self.context(req).project_id,
            marker=wsgi.uuid_param(params, 'marker'),
            status=params.get('status', [None])[0],
            host_id=wsgi.uuid_param(params, 'host_id'),
            group=params.get('group', [None])[0])
        rows, links = wsgi.page(req, rows, limit)
        return wsgi.list_response(
            'schedules', [_view(s, full=False) for s in rows], links)

    def show(self, req, schedule_id):
        schedule = self._get(req, schedule_id)
        self.authorize(req, 'sora:schedule:show',
                       {'project_id': schedule.project_id})
        return _response(schedule)

    def _get(self, req, schedule_id):
        """The schedule; another project's is a 404 unless admin."""
        context = self.context(req)
        self.expire_holds()
        sees_all = self.services.policy.allows(
            context, 'sora:schedule:list:all_projects')
        return db_schedules.get(
            self.services.db, schedule_id,
            project_id=None if sees_all else context.project_id)

    def create(self, req):
        """POST /v1/schedules: 201 and the allocations, or 409 no valid host.

        ``dry_run`` answers 200 with the ranked candidates and claims
        nothing. A repeat with the same ``Idempotency-Key`` returns the
        first schedule.
        """
        context = self.context(req)
        self.authorize(req, 'sora:schedule:create')
        request = wsgi.json_body(req, self.create_schema)
        check_request(request, self.conf)
        # The default made explicit, so a repeat that spells it out is the
        # same request for Idempotency-Key.
        request.setdefault('num_instances', 1)
        key = req.headers.get('Idempotency-Key')
        if key is not None:
            wsgi.validate(key, schema.IDEMPOTENCY_KEY)
        manager = self.services.scheduler
        if request.pop('dry_run', False):
            # NOTE: a dry run shows host names and how well each fits, which
            # a member learns nowhere else (docs/security.md).
            self.authorize(req, 'sora:schedule:create:dry_run')
            candidates, funnel, nearest, relaxations = manager.dry_run(
                context.project_id, request)
            return wsgi.json_response({
                'candidates': [_candidate(c) for c in candidates],
                'explanation': funnel, 'nearest': nearest,
                'relaxations': relaxations})
        schedule, _ = manager.schedule(context.project_id, context.user_id,
                                       request, idempotency_key=key)
        location = '%s/v1/schedules/%s' % (wsgi.base_url(req), schedule.id)
        return _response(schedule, 201, {'Location': location})

    def delete(self, req, schedule_id):
        """DELETE /v1/schedules/{id}: release every allocation at once."""
        schedule = self._get(req, schedule_id)
        self.authorize(req, 'sora:schedule:delete',
                       {'project_id': schedule.project_id})
        db_schedules.delete(self.services.db, schedule_id,
                            generations=wsgi.if_match(req, 'schedule'))
        return wsgi.no_content()

    def confirm(self, req, schedule_id):
        """POST /v1/schedules/{id}/confirm: a held schedule becomes active.

        409 ``sora.hold_expired`` when the hold ran out first, 409
        ``sora.conflict`` when the schedule is not held.
        """
        schedule = self._get(req, schedule_id)
        self.authorize(req, 'sora:schedule:confirm',
                       {'project_id': schedule.project_id})
        schedule = db_holds.confirm(
            self.services.db, schedule_id,
            generations=wsgi.if_match(req, 'schedule'))
        return _response(schedule)

    def move(self, req, schedule_id):
        """POST /v1/schedules/{id}/move: instance ``instance_index`` (none:
        every one) to another host under the schedule's own request.

        An out-of-range index is a 400, an expired hold a 409
        ``sora.conflict``, no room elsewhere a 409 ``sora.no_valid_host``.
        """
        schedule = self._get(req, schedule_id)
        self.authorize(req, 'sora:schedule:move',
                       {'project_id': schedule.project_id})
        body = wsgi.json_body(req, schema.move, optional=True)
        generations = wsgi.if_match(req, 'schedule')
        indexes = None
        if 'instance_index' in body:
            index = body['instance_index']
            count = schedule.request.get('num_instances', 1)
            if index >= count:
                raise errors.invalid(
                    'Invalid input for field instance_index: %d is not an '
                    'instance of the schedule (0 to %d).' % (index, count - 1))
            indexes = {index}
        moved = self.services.scheduler.move(
            schedule_id, indexes, body.get('ignore_hosts', ()), generations,
            read=schedule)
        return _response(moved)

    def resize(self, req, schedule_id):
        """POST /v1/schedules/{id}/resize: new ``resources`` for every
        instance, in place where its host has room, else moved; all or none.

        The same resources are a 200 that changes nothing; the difference
        counts against quota (403 ``sora.over_quota``).
        """
        schedule = self._get(req, schedule_id)
        self.authorize(req, 'sora:schedule:resize',
                       {'project_id': schedule.project_id})
        body = wsgi.json_body(req, schema.RESIZE)
        generations = wsgi.if_match(req, 'schedule')
        resources = _checked_resources(body['resources'])
        resized = self.services.scheduler.resize(schedule_id, resources,
                                                 generations, read=schedule)
        return _response(resized)


def check_request(request, conf):
    """What JSON Schema cannot say: one resource > 0, a sound query of
    bounded size, a request small enough to keep.

    Also names the standard classes by their v1 fields (``VCPU`` ->
    ``vcpus``), puts schedule ids of hints in the lower case they are
    stored in, and host names in NFC, as hosts' names are.
    """
    request['resources'] = _checked_resources(request['resources'])
    hints = request.get('hints', {})
    for name in ('same_host', 'different_host'):
        if name in hints:
            # Ids are accepted in any case, as in paths.
            hints[name] = [i.lower() for i in hints[name]]
    for name in ('ignore_hosts', 'force_hosts'):
        if name in hints:
            hints[name] = [wsgi.host_name(n) for n in hints[name]]
    if ('max_per_domain' in hints
            and hints.get('group_policy') != 'anti-affinity'):
        raise errors.invalid(
            'Invalid input for field hints.max_per_domain: it applies to '
            'group_policy anti-affinity only, not %s.'
            % hints.get('group_policy'))
    query = hints.get('query')
    if query is not None:
        json_filter.validate_query(
            query, conf.filter_scheduler.max_query_terms,
            conf.filter_scheduler.max_query_string_length)
    placement.check_tolerations(request.get('tolerations', ()))
    placement.check_preferences(request.get('preferences', ()), conf)
    size = len(json.dumps(request, separators=(',', ':')).encode('utf-8'))
    if size > conf.api.max_schedule_request_size:
        raise errors.invalid(
            'The schedule request is %d bytes as stored; at most %d are '
            'kept (option [api] max_schedule_request_size).'
            % (size, conf.api.max_schedule_request_size))


def _checked_resources(resources):
    """``resources`` by v1 field, with at least one greater than 0."""
    resources = _by_field(resources)
    if not any(resources.values()):
        raise errors.invalid('Invalid input for field resources: at least '
                             'one resource must be greater than 0.')
    return resources


def _by_field(resources):
    """``resources`` with the standard classes under their v1 fields; one
    given under both names is a 400."""
    named = {}
    for name, amount in resources.items():
        field = capacity.field_of(name)
        if field in named:
            raise errors.invalid(
                'Invalid input for field resources.%s: the class is given '
                'twice, as %s and %s.' % (capacity.class_of(field), field,
                                         capacity.class_of(field)))
        named[field] = amount
    return named


def _response(schedule, status=200, headers=None):
    headers = dict(headers or {}, ETag='"%d"' % schedule.generation)
    return wsgi.json_response({'schedule': _view(schedule)}, status, headers)


def _view(schedule, full=True):
    """The schedule's representation; lists (``full`` False) leave out the
    hints whose values are lists, which GET /v1/schedules/{id} shows."""
    request = schedule.request
    hints = request.get('hints', {})
    if not full:
        hints = {name: value for name, value in hints.items()
                 if not isinstance(value, list)}
    body = {
        'id': schedule.id, 'project_id': schedule.project_id,
        'user_id': schedule.user_id, 'status': schedule.status,
        'generation': schedule.generation,
        'expires_at': timeutils.isotime(schedule.expires_at),
        'resources': request['resources'],
        'num_instances': request.get('num_instances', 1),
        'allocations': [{'instance_index': a.instance_index,
                         'host_id': a.host_id, 'host_name': a.host_name}
                        for a in schedule.allocations],
        'hints': hints,
        'created_at': timeutils.isotime(schedule.created_at),
        'updated_at': timeutils.isotime(schedule.updated_at),
    }
    for optional in ('availability_zone', 'required_traits',
                     'forbidden_traits', 'metadata', 'tolerations',
                     'preferences'):
        if optional in request:
            body[optional] = request[optional]
    return body


def _candidate(weighed):
    return {'host_id': weighed.host_id, 'host_name': weighed.host_name,
            'weight': weighed.weight, 'weights': weighed.weights}
