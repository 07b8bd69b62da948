"""Give every request an id, a context, and an ``X-OpenStack-Request-Id``."""

import uuid

from oslo_context import context as oslo_context

from sora_api.api import errors
from sora_api.api import middleware

HEADER = 'X-OpenStack-Request-Id'
CONTEXT_KEY = 'sora.context'


class RequestId(middleware.Middleware):
    """First in the pipeline, so every response and log line has the id.

    The request context starts here with only the id; the auth middleware
    fills in who is asking. oslo.log reads the current context, so every log
    line written during the request carries the id.
    """

    def __call__(self, environ, start_response):
        request_id = 'req-' + str(uuid.uuid4())
        environ[errors.REQUEST_ID_KEY] = request_id
        environ[CONTEXT_KEY] = oslo_context.RequestContext(
            request_id=request_id, overwrite=True)

        def _start_response(status, headers, exc_info=None):
            headers = [(k, v) for k, v in headers
                       if k.lower() != HEADER.lower()]
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        return self.application(environ, _start_response)
