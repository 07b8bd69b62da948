"""WSGI responses through h11, and the HTTP layer's own JSON answers."""

import email.utils
import socket
import time
import uuid

import h11
from oslo_context import context as oslo_context

from sora_api.api import errors
from sora_api.api.middleware import access_log

_CODES = {400: errors.INVALID_REQUEST, 408: errors.REQUEST_TIMEOUT,
          413: errors.REQUEST_TOO_LARGE, 414: errors.REQUEST_TOO_LARGE,
          431: errors.REQUEST_TOO_LARGE, 500: errors.INTERNAL_ERROR,
          501: errors.NOT_IMPLEMENTED, 503: errors.SERVICE_UNAVAILABLE,
          505: errors.NOT_IMPLEMENTED}


class Answer:
    """The WSGI ``start_response`` and the writing of one response."""

    def __init__(self, connection, head_only):
        self.connection = connection
        self.head_only = head_only
        self.started = None  # (status, headers) from start_response
        self.status = None   # the status code, once the head is sent

    def start_response(self, status, headers, exc_info=None):
        if exc_info and self.status is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        self.started = (status, headers)
        return self.write

    def write(self, data):
        """Send ``data``, after the head if it is not sent yet."""
        h11_connection = self.connection.h11
        out = b''
        if self.status is None:
            out = h11_connection.send(self._head())
        if data and not self.head_only:
            out += h11_connection.send(h11.Data(data=data))
        if out:
            self.connection.send(out)

    def _head(self):
        status, headers = self.started
        self.status = int(status[:3])
        # NOTE: h11 refuses a body for these; the headers stay as given.
        self.head_only = self.head_only or self.status in (204, 304)
        headers = [(name.encode('latin-1'), value.encode('latin-1'))
                   for name, value in headers]
        headers.append((b'Date', _date()))
        if self.connection.closing or self.status == 413:
            headers.append((b'Connection', b'close'))
        return h11.Response(status_code=self.status, headers=headers,
                            reason=status[4:].encode('latin-1'))


def error_response(status, detail, request_id, head_only=False):
    """The bytes of an HTTP-layer error: the contract's JSON, then close."""
    response = errors.to_response(
        errors.ApiError(status, _CODES[status], detail),
        {errors.REQUEST_ID_KEY: request_id})
    head = ['HTTP/1.1 ' + response.status]
    head += ['%s: %s' % header for header in response.headerlist]
    head += ['X-OpenStack-Request-Id: ' + request_id,
             'Date: ' + _date().decode('ascii'), 'Connection: close', '', '']
    return ('\r\n'.join(head).encode('latin-1')
            + (b'' if head_only else response.body))


def refuse_when_full(sock, settings):
    """Answer 503 without waiting and close: the worker has no room."""
    request_id = 'req-' + str(uuid.uuid4())
    data = error_response(503, 'The server has too many open connections; '
                               'try again later.', request_id)
    try:
        # NOTE: the real socket, non-blocking: a slow client must not
        # make the accepting loop wait.
        sock.fd.send(data)
        sock.fd.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    sock.close()
    access_log.write(None, None, '503', len(data), 0.0,
                     context(request_id), settings.escape_log)


def context(request_id):
    return oslo_context.RequestContext(request_id=request_id,
                                       overwrite=False)


_last_date = [0, b'']


def _date():
    """The ``Date`` header's value, formatted once a second."""
    now = int(time.time())
    if now != _last_date[0]:
        _last_date[:] = [now, email.utils.formatdate(
            now, usegmt=True).encode('ascii')]
    return _last_date[1]
