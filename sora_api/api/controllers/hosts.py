"""``/v1/hosts``: the compute hosts Sora schedules onto (admin only)."""

from sora_api import capacity
from sora_api import liveness
from sora_api import timeutils
from sora_api.api import controllers
from sora_api.api import errors
from sora_api.api import placement
from sora_api.api import wsgi
from sora_api.api.schemas import hosts as schema
from sora_api.db import hosts as db_hosts
from sora_api.scheduler import drain

_RATIOS = ('cpu_allocation_ratio', 'ram_allocation_ratio',
           'disk_allocation_ratio')
_FIELDS = ('id', 'name', 'availability_zone', 'enabled', 'disabled_reason',
           'vcpus', 'memory_mb', 'disk_gb') + _RATIOS + (
           'reserved_vcpus', 'reserved_memory_mb', 'reserved_disk_gb',
           'vcpus_used', 'memory_mb_used', 'disk_gb_used', 'instances',
           'io_ops', 'generation')


class HostsController(controllers.Controller):

    def _view(self, host, now=None):
        return self._views([host], now)[0]

    def _views(self, hosts, now=None):
        # NOTE: the dashboard reads every host, 1,000 a page: what is the
        # same for every host is worked out once.
        cutoff = liveness.down_cutoff(now or timeutils.utcnow(),
                                      self.conf.scheduler.service_down_time)
        views = []
        for host in hosts:
            fields = vars(host)
            body = {field: fields[field] for field in _FIELDS}
            body.update(
                traits=host.traits,
                metadata=host.metadata,
                taints=host.taints,
                projects=host.projects,
                last_heartbeat=timeutils.isotime(host.last_heartbeat),
                status='up' if liveness.up(host.last_heartbeat, cutoff)
                else 'down',
                inventories=inventories_view(host),
                created_at=timeutils.isotime(host.created_at),
                updated_at=timeutils.isotime(host.updated_at))
            views.append(body)
        return views

    def _response(self, host, status=200, headers=None):
        headers = dict(headers or {}, ETag='"%d"' % host.generation)
        return wsgi.json_response({'host': self._view(host)}, status,
                                  headers)

    def index(self, req):
        """GET /v1/hosts: filtered, paginated list, ordered by id."""
        self.authorize(req, 'sora:host:list')
        params = wsgi.query_params(req, schema.list_query)
        limit = wsgi.limit(params, self.conf)
        self.expire_holds()
        enabled = params.get('enabled', [None])[0]
        rows = db_hosts.list_hosts(
            self.services.db, limit + 1,
            marker=wsgi.uuid_param(params, 'marker'),
            name=_normal_name(params.get('name', [None])[0]),
            availability_zone=params.get('availability_zone', [None])[0],
            enabled=None if enabled is None else enabled == 'true',
            status=params.get('status', [None])[0],
            traits=params.get('trait', []),
            now=timeutils.utcnow(),
            service_down_time=self.conf.scheduler.service_down_time)
        rows, links = wsgi.page(req, rows, limit)
        now = timeutils.utcnow()
        return wsgi.list_response('hosts', self._views(rows, now), links)

    def _with_defaults(self, values):
        defaults = {
            'availability_zone':
                self.conf.scheduler.default_availability_zone,
            'enabled': True, 'disabled_reason': None,
            'reserved_vcpus': 0, 'reserved_memory_mb': 0,
            'reserved_disk_gb': 0, 'io_ops': 0, 'traits': [], 'metadata': {},
            'taints': [], 'projects': [],
        }
        defaults.update((r, getattr(self.conf.scheduler, r)) for r in _RATIOS)
        values = dict(defaults, **values)
        if 'inventories' in values:
            values['inventories'] = _inventories(values['inventories'])
        return values

    def create(self, req):
        """POST /v1/hosts: 201 with Location; a taken name is 409."""
        self.authorize(req, 'sora:host:create')
        values = _normal_names(wsgi.json_body(req, schema.create))
        placement.check_taints(values.get('taints', ()))
        host = db_hosts.create(self.services.db, self._with_defaults(values))
        location = '%s/v1/hosts/%s' % (wsgi.base_url(req), host.id)
        return self._response(host, 201, {'Location': location})

    def create_many(self, req):
        """POST /v1/hosts/bulk: register up to 1000 hosts, all or none.

        ``{"hosts": [<host>, ...]}``, each host as ``POST /v1/hosts`` takes
        it; 201 with ``{"hosts": [...]}`` in the same order. One taken or
        repeated name is a 409 and nothing is registered.
        """
        self.authorize(req, 'sora:host:create')
        body = wsgi.json_body(req, schema.bulk_create)
        for index, host in enumerate(body['hosts']):
            placement.check_taints(host.get('taints', ()),
                                   'hosts/%d/taints' % index)
        hosts = db_hosts.create_many(
            self.services.db,
            [self._with_defaults(_normal_names(h)) for h in body['hosts']])
        now = timeutils.utcnow()
        return wsgi.json_response(
            {'hosts': self._views(hosts, now)}, 201)

    def show(self, req, host_id):
        self.authorize(req, 'sora:host:show')
        self.expire_holds()
        return self._response(db_hosts.get(self.services.db, host_id))

    def update(self, req, host_id):
        """PUT /v1/hosts/{id}: partial update, conditional on If-Match."""
        self.authorize(req, 'sora:host:update')
        values = _normal_names(wsgi.json_body(req, schema.update))
        placement.check_taints(values.get('taints', ()))
        if 'inventories' in values:
            values['inventories'] = _inventories(values['inventories'])
        host = db_hosts.update(self.services.db, host_id, values,
                               allowed_generations=wsgi.if_match(req, 'host'))
        return self._response(host)

    def delete(self, req, host_id):
        self.authorize(req, 'sora:host:delete')
        db_hosts.delete(self.services.db, host_id)
        return wsgi.no_content()

    def heartbeat(self, req, host_id):
        """POST /v1/hosts/{id}/heartbeat: the host is alive; maybe io_ops."""
        self.authorize(req, 'sora:host:heartbeat')
        body = wsgi.json_body(req, schema.heartbeat, optional=True)
        db_hosts.heartbeat(self.services.db, host_id, body.get('io_ops'))
        return wsgi.no_content()

    def drain(self, req, host_id):
        """POST /v1/hosts/{id}/drain: disable the host (``disabled_reason``
        = ``reason``, default ``draining``) and move every instance off it,
        schedule by schedule; ``dry_run`` plans and changes nothing."""
        self.authorize(req, 'sora:host:drain')
        body = wsgi.json_body(req, schema.drain, optional=True)
        moves, stuck = drain.drain(
            self.services.scheduler, host_id,
            body.get('reason', 'draining'), body.get('dry_run', False))
        return wsgi.json_response({'moves': moves, 'stuck': stuck})


def _inventories(inventories):
    """Written inventories with defaults filled, after the checks JSON
    Schema cannot make; None (remove the class) passes as is."""
    filled = {}
    for name, inventory in inventories.items():
        if inventory is None:
            filled[name] = None
            continue
        total = inventory['total']
        inventory = dict({'reserved': 0, 'allocation_ratio': 1.0,
                          'max_unit': total}, **inventory)
        field = 'inventories.%s.' % name
        if inventory['reserved'] > total:
            raise errors.invalid(
                'Invalid input for field %sreserved: %d is more than the '
                'total %d.' % (field, inventory['reserved'], total))
        if total and not 1 <= inventory['max_unit'] <= total:
            raise errors.invalid(
                'Invalid input for field %smax_unit: %d is not between 1 '
                'and the total %d.' % (field, inventory['max_unit'], total))
        filled[name] = inventory
    return filled


def _standard_max_unit(usable):
    # NOTE: v1 never limited one instance below a host's usable capacity
    # of a standard class, and does not now: its max_unit reads as that.
    return max(0, int(usable))


def inventories_view(host):
    """Every class of the host, the standard ones first, with ``used``."""
    fields = vars(host)
    view = {}
    for name, (total, ratio, reserved, used) in _STANDARD_COLUMNS:
        total, ratio, reserved = fields[total], fields[ratio], fields[reserved]
        view[name] = {'total': total, 'reserved': reserved,
                      'allocation_ratio': ratio,
                      'max_unit': _standard_max_unit(
                          capacity.usable(total, ratio, reserved)),
                      'used': fields[used]}
    view.update(host.inventories)
    return view


# Each standard class and its (total, ratio, reserved, used) columns.
_STANDARD_COLUMNS = tuple((name, capacity.STANDARD_COLUMNS[field])
                          for name, field in capacity.STANDARD.items())


def _normal_name(name):
    return None if name is None else wsgi.host_name(name)


def _normal_names(values):
    """``values`` with the host's name, if given, in NFC."""
    if 'name' in values:
        values['name'] = wsgi.host_name(values['name'])
    return values
