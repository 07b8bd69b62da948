"""Discovery and health: open to every caller, no token needed."""

from sora_api.api import controllers
from sora_api.api import errors
from sora_api.api import openapi
from sora_api.api import wsgi


class RootController(controllers.Controller):

    def versions(self, req):
        """GET /: the API versions this server speaks."""
        return wsgi.json_response({'versions': [{
            'id': 'v1.0', 'status': 'CURRENT',
            'links': [{'rel': 'self',
                       'href': wsgi.base_url(req) + '/v1'}]}]})

    def healthcheck(self, req):
        """GET /healthcheck: 200 when the database can serve, else 503.

        The database must answer with the schema this code needs and, for
        SQLite, be the file opened, writable and not full.
        """
        problem = self.services.db.check()
        if problem:
            raise errors.ApiError(503, errors.SERVICE_UNAVAILABLE,
                                  'The database cannot serve: %s.' % problem)
        return wsgi.json_response({'status': 'ok', 'database': 'ok'})

    def openapi(self, req):
        """GET /openapi.json: the OpenAPI 3 description of v1."""
        return wsgi.json_response(openapi.document(
            wsgi.base_url(req),
            self.conf.scheduler.max_instances_per_request,
            self.conf.scheduler.max_hold_seconds))
