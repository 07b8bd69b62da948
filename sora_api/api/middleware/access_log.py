"""One access-log line per request, written when the response is done."""

import time

from oslo_log import log as logging

from sora_api.api import errors
from sora_api.api import middleware
from sora_api.api.middleware import request_id

LOG = logging.getLogger('sora_api.access')


class AccessLog(middleware.Middleware):
    """Method, path, status, bytes, milliseconds, request id, user, project.

    The query string is logged but no header is, so a token never reaches
    the log.
    """

    def __call__(self, environ, start_response):
        started = time.monotonic()
        state = {'status': '-'}

        def _start_response(status, headers, exc_info=None):
            state['status'] = status.split(' ', 1)[0]
            return start_response(status, headers, exc_info)

        body = self.application(environ, _start_response)
        return _LoggedBody(body, environ, state, started)


class _LoggedBody:
    """Counts the bytes sent and logs when the server closes the body."""

    def __init__(self, body, environ, state, started):
        self._body = body
        self._environ = environ
        self._state = state
        self._started = started
        self._bytes = 0

    def __iter__(self):
        for chunk in self._body:
            self._bytes += len(chunk)
            yield chunk

    def close(self):
        try:
            if hasattr(self._body, 'close'):
                self._body.close()
        finally:
            self._log()

    def _log(self):
        environ = self._environ
        context = environ.get(request_id.CONTEXT_KEY)
        path = environ.get('PATH_INFO', '')
        if environ.get('QUERY_STRING'):
            path += '?' + environ['QUERY_STRING']
        LOG.info('%(method)s %(path)s status: %(status)s len: %(bytes)d '
                 'time: %(ms).1fms request_id: %(request_id)s '
                 'user: %(user)s project: %(project)s',
                 {'method': environ.get('REQUEST_METHOD'), 'path': path,
                  'status': self._state['status'], 'bytes': self._bytes,
                  'ms': (time.monotonic() - self._started) * 1000,
                  'request_id': environ.get(errors.REQUEST_ID_KEY),
                  'user': getattr(context, 'user_id', None) or '-',
                  'project': getattr(context, 'project_id', None) or '-'})
