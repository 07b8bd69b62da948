"""``/v1/quotas/{project_id}`` and ``/v1/usages``: limits and usage."""

from sora_api import capacity
from sora_api.api import controllers
from sora_api.api import errors
from sora_api.api import wsgi
from sora_api.api.schemas import common
from sora_api.api.schemas import quotas as schema
from sora_api.db import quotas as db_quotas
from sora_api.db import resource_classes


def _project_id(project_id):
    """A project id from the path; 400 when no project can have it."""
    if not wsgi.Validator(common.NAME).is_valid(project_id):
        raise errors.invalid('Invalid input for field project_id: 1 to 255 '
                             'characters without control characters.')
    return project_id


class QuotasController(controllers.Controller):

    def _quota(self, project_id):
        self.expire_holds()
        limits, usage = db_quotas.get(self.services.db, project_id,
                                      db_quotas.defaults(self.conf))
        return wsgi.json_response({'quota': {
            'project_id': project_id, 'limits': limits,
            'usage': dict(usage, project_id=project_id)}})

    def show(self, req, project_id):
        """GET /v1/quotas/{id}: admin, or any role of that project."""
        project_id = _project_id(project_id)
        self.authorize(req, 'sora:quota:show', {'project_id': project_id})
        return self._quota(project_id)

    def update(self, req, project_id):
        """PUT /v1/quotas/{id} (admin): replace the project's limits."""
        project_id = _project_id(project_id)
        self.authorize(req, 'sora:quota:update', {'project_id': project_id})
        limits = wsgi.json_body(req, schema.update)['limits']
        resource_classes.require(
            self.services.db, [r for r in limits if capacity.is_custom(r)],
            'limits')
        db_quotas.replace(self.services.db, project_id, limits,
                          db_quotas.defaults(self.conf))
        return self._quota(project_id)

    def delete(self, req, project_id):
        """DELETE /v1/quotas/{id} (admin): back to the defaults."""
        project_id = _project_id(project_id)
        self.authorize(req, 'sora:quota:delete', {'project_id': project_id})
        db_quotas.delete(self.services.db, project_id,
                         db_quotas.defaults(self.conf))
        return wsgi.no_content()


class UsagesController(controllers.Controller):

    def show(self, req):
        """GET /v1/usages: the caller's project; ``project_id`` (admin for
        another project) or ``all_projects=true`` (admin)."""
        params = wsgi.query_params(req, schema.usage_query)
        self.expire_holds()
        if params.get('all_projects', ['false'])[0] == 'true':
            self.authorize(req, 'sora:usage:list:all_projects')
            return self._all_projects(req, params)
        if 'limit' in params or 'marker' in params:
            raise errors.invalid('limit and marker page the list of every '
                                 'project (all_projects=true) only.')
        project_id = params.get('project_id',
                                [self.context(req).project_id])[0]
        self.authorize(req, 'sora:usage:show', {'project_id': project_id})
        usage = db_quotas.usage(self.services.db, project_id)
        return wsgi.json_response(
            {'usage': dict(usage, project_id=project_id)})

    def _all_projects(self, req, params):
        """Every project's usage ordered by project id, paginated; the
        marker is a project id."""
        limit = wsgi.limit(params, self.conf)
        usages = [dict(usage, project_id=project_id) for project_id, usage
                  in sorted(db_quotas.all_usages(self.services.db).items())]
        usages, links = wsgi.page_of_list(req, usages, params, limit,
                                          'project_id')
        return wsgi.list_response('usages', usages, links)
