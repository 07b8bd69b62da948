"""One access-log line per request, written when the response is done."""

import copy
import re
import time
import urllib.parse

from oslo_log import log as logging

from sora_api.api import middleware
from sora_api.api.middleware import request_id

LOG = logging.getLogger('sora_api.access')
# environ key: what to call, after the access line, once the response is
# done. The metrics middleware records there, so the response body is
# wrapped once for both (an outer wrap would only repeat this one).
ON_DONE = 'sora.on_response_done'

# C0 and C1 control characters, DEL, and the backslash that starts an escape.
_UNSAFE = re.compile('[\x00-\x1f\x7f-\x9f\\\\]')
# What a path keeps unencoded when it has to be encoded again.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


# Context values oslo.log writes at the start of a text line.
_IDENTITY = ('user_id', 'project_id', 'domain_id', 'user_domain_id',
             'project_domain_id', 'user_name', 'project_name')


def write(method, path, status, length, ms, context, escape=True):
    """Write one access line for the request of ``context``.

    NOTE: a client chooses the path and, with ``noauth``, the user and
    project; raw control characters would let it write fake lines or
    terminal escapes into a text log. With ``escape`` (text logs) they
    become ``\\xHH`` as nginx and Apache write them, in the line and in
    the identity oslo.log puts before it. A JSON log encodes them itself,
    so it gets the values as they are.
    """
    fields = {'method': method or '-', 'path': path or '-',
              'user': context.user_id or '-',
              'project': context.project_id or '-'}
    if escape:
        fields = {key: _escape(value) for key, value in fields.items()}
        context = copy.copy(context)
        for name in _IDENTITY:
            value = getattr(context, name, None)
            if isinstance(value, str):
                setattr(context, name, _escape(value))
    fields.update(status=status, bytes=length, ms=ms,
                  request_id=context.request_id)
    LOG.info('%(method)s %(path)s status: %(status)s len: %(bytes)d '
             'time: %(ms).1fms request_id: %(request_id)s '
             'user: %(user)s project: %(project)s', fields,
             extra={'context': context})


def _escape(text):
    return _UNSAFE.sub(_hex, text)


def _hex(match):
    return '\\x%02x' % ord(match.group())


def raw_path(environ):
    """The path and query string as the client sent them, percent-encoded.

    ``RAW_PATH_INFO`` is what eventlet's and Sora's own server keep; under
    another server the decoded ``PATH_INFO`` is encoded again.
    """
    path = environ.get('RAW_PATH_INFO')
    if path is None:
        path = urllib.parse.quote(
            environ.get('SCRIPT_NAME', '') + environ.get('PATH_INFO', ''),
            safe=_PATH_SAFE, encoding='latin-1')
    if environ.get('QUERY_STRING'):
        path += '?' + environ['QUERY_STRING']
    return path


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
        return _LoggedBody(body, environ, state, started,
                           self.services.conf.log_format == 'text')


class _LoggedBody:
    """Counts the bytes sent and logs when the server closes the body."""

    def __init__(self, body, environ, state, started, escape):
        self._body = body
        self._escape = escape
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
            try:
                self._log()
            finally:
                for done in self._environ.get(ON_DONE, ()):
                    done()

    def _log(self):
        environ = self._environ
        context = environ[request_id.CONTEXT_KEY]
        write(environ.get('REQUEST_METHOD'), raw_path(environ),
              self._state['status'], self._bytes,
              (time.monotonic() - self._started) * 1000, context,
              self._escape)
