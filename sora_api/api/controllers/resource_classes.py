"""``/v1/resource_classes``: the standard classes and the custom ones."""

from sora_api import capacity
from sora_api.api import controllers
from sora_api.api import errors
from sora_api.api import wsgi
from sora_api.api.schemas import resource_classes as schema
from sora_api.db import resource_classes as db_classes


def _custom_name(name):
    """``name`` when it can be a custom class; 400 otherwise."""
    if name in capacity.STANDARD:
        raise errors.invalid('Invalid input for field name: %s is a '
                             'standard class; it cannot be changed.' % name)
    if not capacity.is_custom(name):
        raise errors.invalid(
            'Invalid input for field name: %r is not a custom class name '
            '(CUSTOM_ followed by A-Z, 0-9 and _, at most %d characters).'
            % (name[:300], capacity.MAX_NAME))
    return name


class ResourceClassesController(controllers.Controller):

    def index(self, req):
        """GET /v1/resource_classes: the standard classes, then custom;
        paginated, the marker a class name."""
        self.authorize(req, 'sora:resource_class:list')
        params = wsgi.query_params(req, schema.list_query)
        limit = wsgi.limit(params, self.conf)
        classes = [{'name': name, 'standard': True}
                   for name in capacity.STANDARD]
        classes += [{'name': name, 'standard': False}
                    for name in db_classes.list_custom(self.services.db)]
        classes, links = wsgi.page_of_list(req, classes, params, limit,
                                           'name')
        return wsgi.list_response('resource_classes', classes, links)

    def update(self, req, name):
        """PUT /v1/resource_classes/{name}: 201 created, 204 existed."""
        self.authorize(req, 'sora:resource_class:create')
        created = db_classes.create(self.services.db, _custom_name(name))
        if not created:
            return wsgi.no_content()
        location = '%s/v1/resource_classes/%s' % (req.application_url, name)
        return wsgi.json_response(
            {'resource_class': {'name': name, 'standard': False}}, 201,
            {'Location': location})

    def delete(self, req, name):
        """DELETE /v1/resource_classes/{name}: 409 while hosts have it."""
        self.authorize(req, 'sora:resource_class:delete')
        db_classes.delete(self.services.db, _custom_name(name))
        return wsgi.no_content()
