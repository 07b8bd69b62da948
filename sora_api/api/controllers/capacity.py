"""``/v1/capacity``: how many more instances of one request fit now."""

from sora_api.api import controllers
from sora_api.api import wsgi
from sora_api.api.controllers import schedules
from sora_api.api.schemas import schedules as schema


class CapacityController(controllers.Controller):

    def __init__(self, services):
        super().__init__(services)
        self.schema = schema.capacity(self.conf.scheduler.max_hold_seconds)

    def create(self, req):
        """POST /v1/capacity: 200 ``{"capacity": {...}}`` for a schedule
        request without ``num_instances`` and ``dry_run``, validated as a
        schedule request is (400 otherwise); nothing is claimed."""
        context = self.context(req)
        self.authorize(req, 'sora:capacity:show')
        request = wsgi.json_body(req, self.schema)
        schedules.check_request(request, self.conf)
        found = self.services.scheduler.capacity(context.project_id, request)
        return wsgi.json_response({'capacity': found})
