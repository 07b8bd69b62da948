"""Count and time every request for ``GET /metrics``, by route template.

Series are labelled with the route template of ``router.ROUTES``
(``/v1/hosts/{host_id}``), never the raw path, so their number stays
bounded whatever clients send; paths no route matches share one label.
Scheduling outcomes are counted where they are decided (the scheduler
manager and driver), not read back from answers here.
"""

import time

from sora_api import metrics
from sora_api.api import middleware
from sora_api.api import router
from sora_api.api.middleware import access_log


class Metrics(middleware.Middleware):
    """Outside the fault wrapper, so a crash is counted with its 500.

    It records when the access log below it sees the response done, so the
    response body is wrapped once (``access_log.ON_DONE``).
    """

    def __init__(self, application, services):
        super().__init__(application, services)
        # NOTE: the router's own mapper, so a request answered before the
        # router gets the template the router would dispatch it by.
        self.mapper = router._mapper()

    def __call__(self, environ, start_response):
        started = time.monotonic()
        state = {'status': 500}

        def _start_response(status, headers, exc_info=None):
            state['status'] = int(status.split(' ', 1)[0])
            return start_response(status, headers, exc_info)

        def _done():
            metrics.request_done(environ.get('REQUEST_METHOD', '-'),
                                 self._route(environ), state['status'],
                                 time.monotonic() - started)

        environ.setdefault(access_log.ON_DONE, []).append(_done)
        return self.application(environ, _start_response)

    def _route(self, environ):
        if router.ROUTE_KEY in environ:
            return environ[router.ROUTE_KEY]
        # Answered before the router (401, 413, ...): match it here.
        try:
            found = self.mapper.routematch(environ=environ)
        except Exception:
            # A path the router cannot even read is answered as unknown.
            return None
        return found[1].routepath if found else None
