"""One client connection: strict HTTP/1.1 (h11) in front of the WSGI app."""

import io
import socket
import sys
import time
import urllib.parse
import uuid

import eventlet
import h11
from oslo_log import log as logging

from sora_api.api.middleware import access_log
from sora_api.cmd import http_answer
from sora_api.cmd import http_framing
from sora_api.cmd.http_framing import HttpError

LOG = logging.getLogger(__name__)

# What a connection is doing, for a graceful stop: waiting for a request,
# reading a head, or busy with a request (body, application, response).
IDLE, HEAD, BUSY = 'idle', 'head', 'busy'

_READ_SIZE = 65536


class Settings:
    """What every connection of a worker needs from the configuration."""

    def __init__(self, conf, app, server_address):
        api = conf.api
        self.app = app
        self.server_name, self.server_port = server_address[:2]
        self.header_timeout = api.client_header_timeout
        self.keepalive_timeout = api.keepalive_timeout
        self.body_timeout = api.client_body_timeout
        self.body_min_rate = api.client_body_min_rate
        self.send_timeout = api.send_timeout
        self.max_body = api.max_request_body_size
        self.max_line = api.max_header_line
        self.max_head = api.max_request_head_size
        self.escape_log = conf.log_format == 'text'


class Connection:
    """Serves the requests of one client connection, one after the other."""

    def __init__(self, sock, address, settings):
        self.sock = sock
        self.address = address
        self.settings = settings
        self.h11 = None  # a fresh h11 parser for each request
        # What the client sent past the last request, and whether it ended.
        self.leftover = (b'', False)
        self.http_1_0 = False
        self.state = IDLE
        self.last_active = time.monotonic()
        # Set by a graceful stop: answer the request in hand, then close.
        self.closing = False

    def serve(self):
        """Serve until the client or a limit ends the connection."""
        first = True
        try:
            while self._serve_one(first) and not self.closing:
                first = False
                # NOTE: a keep-alive client whose next request is already
                # here would never make a read block, so this connection
                # would keep the worker from every other one.
                eventlet.sleep(0)
        except OSError:
            pass  # the client went away, or stopped reading its answer

    def _serve_one(self, first):
        started = time.monotonic()
        request = None
        try:
            request = self._read_head(first)
            if request is None:
                return False
            self.state = BUSY
            environ = self._environ(request, self._read_body(request))
        except HttpError as e:
            self._refuse(e, request, started)
            return False
        return self._respond(request, environ, started)

    # -- reading ------------------------------------------------------------

    def _read_head(self, first):
        """The next request's head, or None when the client is done."""
        settings = self.settings
        self.h11 = h11.Connection(
            h11.SERVER, max_incomplete_event_size=settings.max_head)
        raw = bytearray(self.leftover[0])
        if raw:
            self.h11.receive_data(self.leftover[0])
        if self.leftover[1]:
            self.h11.receive_data(b'')  # the end of what the client sends
        now = time.monotonic()
        if first or raw:
            self.state = HEAD if raw else IDLE
            deadline = now + settings.header_timeout
        else:
            deadline = now + settings.keepalive_timeout
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as e:
                raise self._head_error(raw, e) from None
            if isinstance(event, h11.Request):
                head = bytes(raw[:http_framing.end_of_head(raw)])
                http_framing.check_head(head, settings.max_line,
                                        settings.max_head)
                http_framing.check_request(event)
                self.http_1_0 = event.http_version == b'1.0'
                return event
            if event is not h11.NEED_DATA:
                return None  # ConnectionClosed
            http_framing.check_partial_head(raw, settings.max_line,
                                            settings.max_head)
            try:
                data = self._recv(deadline)
            except TimeoutError:
                if raw:
                    raise HttpError(408, 'The request head did not arrive '
                                         'within %d s.'
                                    % settings.header_timeout) from None
                return None
            if not raw and data:
                self.state = HEAD
                if not first:
                    deadline = time.monotonic() + settings.header_timeout
            raw += data
            self.h11.receive_data(data)

    def _head_error(self, raw, error):
        end = http_framing.end_of_head(raw)
        try:
            if end is None:
                http_framing.check_partial_head(raw, self.settings.max_line,
                                                self.settings.max_head)
            else:
                http_framing.check_head(bytes(raw[:end]),
                                        self.settings.max_line,
                                        self.settings.max_head)
        except HttpError as precise:
            return precise
        return HttpError(error.error_status_hint, str(error))

    def _read_body(self, request):
        """The whole request body, read under the body's time limits."""
        settings = self.settings
        length = _header(request, b'content-length')
        if length is not None and int(length) > settings.max_body:
            raise _too_large(settings.max_body)
        if self.h11.they_are_waiting_for_100_continue:
            self.send(b'HTTP/1.1 100 Continue\r\n\r\n')
        body = bytearray()
        now = time.monotonic()
        deadline = now + settings.body_timeout
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as e:
                raise HttpError(400, 'The request body is malformed or '
                                     'incomplete: %s' % e) from None
            if isinstance(event, h11.Data):
                body += event.data
                if len(body) > settings.max_body:
                    raise _too_large(settings.max_body)
            elif isinstance(event, h11.EndOfMessage):
                self.leftover = self.h11.trailing_data
                return bytes(body)
            else:
                try:
                    data = self._recv(min(
                        deadline, time.monotonic() + settings.body_timeout))
                except TimeoutError:
                    raise HttpError(408, 'The request body arrived too '
                                         'slowly.') from None
                if settings.body_min_rate:
                    deadline += len(data) / settings.body_min_rate
                else:
                    deadline = time.monotonic() + settings.body_timeout
                self.h11.receive_data(data)

    def _recv(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError()
        self.sock.settimeout(remaining)
        data = self.sock.recv(_READ_SIZE)
        self.last_active = time.monotonic()
        return data

    # -- answering ----------------------------------------------------------

    def _respond(self, request, environ, started):
        """Run the application and send its answer; True to keep going."""
        answer = http_answer.Answer(self, request.method == b'HEAD',
                                    _keeps_alive(request, self.settings))
        result = ()
        try:
            result = self.settings.app(environ, answer.start_response)
            for chunk in result:
                if chunk:
                    answer.write(chunk)
            keep_alive = answer.finish()
        except (ValueError, TypeError, KeyError):
            # NOTE: the fault middleware answers the application's own
            # failures; what reaches here is a response that is not HTTP
            # (a bad status or header, a body longer than its length).
            LOG.exception('Malformed response to %s %s',
                          environ['REQUEST_METHOD'], environ['RAW_PATH_INFO'])
            if answer.status is None:
                self._refuse(HttpError(500, 'The server failed to answer.'),
                             request, started)
            return False
        finally:
            if hasattr(result, 'close'):
                result.close()
        self.state = IDLE
        return keep_alive

    def _environ(self, request, body):
        settings = self.settings
        target = request.target.decode('ascii')
        host = None
        if not target.startswith('/'):
            parts = urllib.parse.urlsplit(target)
            if parts.scheme not in ('http', 'https') or not parts.netloc:
                raise HttpError(400, 'The request target is not a path.')
            host, target = parts.netloc, parts.path or '/'
            if parts.query:
                target += '?' + parts.query
        path, _, query = target.partition('?')
        environ = {
            'REQUEST_METHOD': request.method.decode('ascii'),
            'SCRIPT_NAME': '',
            'PATH_INFO': urllib.parse.unquote(path, encoding='latin-1'),
            'RAW_PATH_INFO': path,
            'QUERY_STRING': query,
            'SERVER_NAME': settings.server_name,
            'SERVER_PORT': str(settings.server_port),
            'SERVER_PROTOCOL': 'HTTP/' + request.http_version.decode(),
            'REMOTE_ADDR': self.address[0],
            'REMOTE_PORT': str(self.address[1]),
            'wsgi.version': (1, 0),
            'wsgi.url_scheme': 'http',
            'wsgi.input': io.BytesIO(body),
            'wsgi.errors': sys.stderr,
            'wsgi.multithread': True,
            'wsgi.multiprocess': False,
            'wsgi.run_once': False,
        }
        for name, value in request.headers:
            if b'_' in name:
                # NOTE: X_Auth_Token and X-Auth-Token would both become
                # HTTP_X_AUTH_TOKEN; a client could then shadow a header a
                # proxy set. Dropped, as nginx does by default.
                continue
            key = name.decode('ascii').upper().replace('-', '_')
            if key not in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
                key = 'HTTP_' + key
            value = value.decode('latin-1')
            environ[key] = (environ[key] + ',' + value if key in environ
                            else value)
        # The body is read whole, so the application sees its length,
        # whatever its framing was.
        environ.pop('HTTP_TRANSFER_ENCODING', None)
        if body:
            environ['CONTENT_LENGTH'] = str(len(body))
        if host is not None:
            environ['HTTP_HOST'] = host
        return environ

    def _refuse(self, error, request, started):
        """Answer ``error`` in the contract's shape, log it, and close."""
        method = request.method.decode('ascii') if request else None
        path = request.target.decode('ascii') if request else None
        request_id = 'req-' + str(uuid.uuid4())
        data = http_answer.error_response(
            error.status, error.detail, request_id, head_only=method == 'HEAD')
        try:
            self.send(data)
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        access_log.write(method, path, str(error.status), len(data),
                         (time.monotonic() - started) * 1000,
                         http_answer.context(request_id),
                         self.settings.escape_log)

    def send(self, data):
        self.sock.settimeout(self.settings.send_timeout)
        self.sock.sendall(data)


def _keeps_alive(request, settings):
    """Whether the client lets the connection carry another request."""
    if request.http_version == b'1.0' or not settings.keepalive_timeout:
        return False
    for name, value in request.headers:
        if name == b'connection' and b'close' in [
                token.strip().lower() for token in value.split(b',')]:
            return False
    return True


def _header(request, name):
    for key, value in request.headers:
        if key == name:
            return value
    return None


def _too_large(limit):
    return HttpError(413, 'The request body is larger than %d bytes.'
                     % limit)
