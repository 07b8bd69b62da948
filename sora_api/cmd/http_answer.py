"""Responses on the wire: WSGI answers and the HTTP layer's own errors."""

import email.utils
import re
import socket
import time
import uuid

from oslo_context import context as oslo_context

from sora_api.api import errors
from sora_api.api.middleware import access_log

_CODES = {400: errors.INVALID_REQUEST, 408: errors.REQUEST_TIMEOUT,
          413: errors.REQUEST_TOO_LARGE, 414: errors.REQUEST_TOO_LARGE,
          431: errors.REQUEST_TOO_LARGE, 500: errors.INTERNAL_ERROR,
          501: errors.NOT_IMPLEMENTED, 503: errors.SERVICE_UNAVAILABLE,
          505: errors.NOT_IMPLEMENTED}


class Answer:
    """The WSGI ``start_response`` and the writing of one response.

    NOTE: h11 reads requests; responses are written here. Sending through
    h11 validated every header the application gave and cost twice as much
    as parsing the request, halving the throughput of small answers.
    """

    def __init__(self, connection, head_only, keep_alive):
        self.connection = connection
        self.head_only = head_only
        # False once the connection cannot carry another request.
        self.keep_alive = keep_alive
        self.started = None    # (status, headers) from start_response
        self.status = None     # the status code, once the head is sent
        self.chunked = False
        self.remaining = None  # body bytes its Content-Length still owes

    def start_response(self, status, headers, exc_info=None):
        if exc_info and self.status is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        self.started = (status, headers)
        return self.write

    def write(self, data):
        """Send ``data``, after the head if it is not sent yet."""
        out = self._head() if self.status is None else b''
        if data and not self.head_only:
            if self.chunked:
                data = b'%x\r\n%s\r\n' % (len(data), data)
            elif self.remaining is not None:
                self.remaining -= len(data)
                if self.remaining < 0:
                    raise ValueError('a body longer than its Content-Length')
            out += data
        if out:
            self.connection.send(out)

    def finish(self):
        """End the response; return whether the connection may go on."""
        self.write(b'')
        if self.chunked and not self.head_only:
            self.connection.send(b'0\r\n\r\n')
        if self.remaining and not self.head_only:
            raise ValueError('a body shorter than its Content-Length')
        return self.keep_alive

    def _head(self):
        status, headers = self.started
        self.status = int(status[:3])
        self.head_only = self.head_only or self.status in (204, 304)
        if self.status == 413 or self.connection.closing:
            self.keep_alive = False
        lines = ['HTTP/1.1 ' + status]
        for name, value in headers:
            if _LINE_BREAK.search(name) or _LINE_BREAK.search(value):
                raise ValueError('a response header with a line break')
            if name.lower() == 'content-length':
                self.remaining = int(value)
            lines.append(name + ': ' + value)
        lines.append('Date: ' + _date())
        if self.remaining is None and not self.head_only:
            if self.connection.http_1_0:
                self.keep_alive = False  # the body ends when we close
            else:
                self.chunked = True
                lines.append('Transfer-Encoding: chunked')
        if not self.keep_alive:
            lines.append('Connection: close')
        lines += ['', '']
        return '\r\n'.join(lines).encode('latin-1')


def error_response(status, detail, request_id, head_only=False):
    """The bytes of an HTTP-layer error: the contract's JSON, then close."""
    response = errors.to_response(
        errors.ApiError(status, _CODES[status], detail),
        {errors.REQUEST_ID_KEY: request_id})
    head = ['HTTP/1.1 ' + response.status]
    head += ['%s: %s' % header for header in response.headerlist]
    head += ['X-OpenStack-Request-Id: ' + request_id,
             'Date: ' + _date(), 'Connection: close', '', '']
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


_LINE_BREAK = re.compile('[\r\n\x00]')
_last_date = [0, '']


def _date():
    """The ``Date`` header's value, formatted once a second."""
    now = int(time.time())
    if now != _last_date[0]:
        _last_date[:] = [now, email.utils.formatdate(now, usegmt=True)]
    return _last_date[1]
