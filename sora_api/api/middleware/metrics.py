"""Count and time every request for ``GET /metrics``, by route template.

Series are labelled with the route template of ``router.ROUTES``
(``/v1/hosts/{host_id}``), never the raw path, so their number stays
bounded whatever clients send; paths no route matches share one label.
The outcome of ``POST /v1/schedules`` is read from its answer: 201 is a
created schedule, a ``sora.no_valid_host`` error carries the filter funnel.
"""

import json
import time

from sora_api import metrics
from sora_api.api import errors
from sora_api.api import middleware
from sora_api.api import router

_SCHEDULES = '/v1/schedules'


class Metrics(middleware.Middleware):
    """Outside the fault wrapper, so a crash is counted with its 500."""

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

        body = self.application(environ, _start_response)
        route = self._route(environ)
        if (route, environ.get('REQUEST_METHOD')) == (_SCHEDULES, 'POST'):
            body = _schedule_outcome(body, state['status'])
        return _TimedBody(body, environ.get('REQUEST_METHOD', '-'), route,
                          state, started)

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


def _schedule_outcome(body, status):
    if status == 201:
        metrics.schedule_created()
    elif status == 409:
        # Small JSON error body: read it whole to see its code and funnel.
        chunks = list(body)
        if hasattr(body, 'close'):
            body.close()
        body = chunks
        try:
            [error] = json.loads(b''.join(chunks))['errors']
        except (ValueError, KeyError, TypeError):
            return body
        if error.get('code') == errors.NO_VALID_HOST:
            metrics.no_valid_host(error.get('explanation'))
    return body


class _TimedBody:
    """Records the request when the server closes the body."""

    def __init__(self, body, method, route, state, started):
        self._body = body
        self._method = method
        self._route = route
        self._state = state
        self._started = started

    def __iter__(self):
        return iter(self._body)

    def close(self):
        try:
            if hasattr(self._body, 'close'):
                self._body.close()
        finally:
            metrics.request_done(self._method, self._route,
                                 self._state['status'],
                                 time.monotonic() - self._started)
