"""``GET /metrics``: Prometheus text exposition, for operators and scrapers."""

import webob

from sora_api import metrics
from sora_api.api import controllers
from sora_api.db import group_status


class MetricsController(controllers.Controller):

    def show(self, req):
        """GET /metrics: every worker's series, host counts, capacity,
        groups whose hard policy no longer holds.

        Guarded by ``sora:metrics:show`` (admin or ``metrics_reader`` by
        default): the host counts, capacity and route traffic are operator
        information.
        """
        self.authorize(req, 'sora:metrics:show')
        counts = metrics.host_counts(self.services.db,
                                     self.conf.scheduler.service_down_time)
        totals = metrics.resource_totals(self.services.db)
        broken = group_status.broken_hard_policies(
            self.services.db, self.conf.scheduler.service_down_time)
        response = webob.Response(status=200, body=metrics.render(
            counts, totals, broken))
        response.headers['Content-Type'] = metrics.CONTENT_TYPE
        return response
