"""Refuse request bodies over ``[api] max_request_body_size`` with 413."""

import io

from sora_api.api import errors
from sora_api.api import middleware


class BodyLimit(middleware.Middleware):
    """Checks ``Content-Length`` up front and caps chunked bodies as read."""

    def __call__(self, environ, start_response):
        limit = self.services.conf.api.max_request_body_size
        length = environ.get('CONTENT_LENGTH')
        if length:
            try:
                too_large = int(length) > limit
            except ValueError:
                return self._error(environ, start_response, errors.invalid(
                    'Content-Length is not a number.'))
            if too_large:
                return self._too_large(environ, start_response, limit)
        elif environ.get('HTTP_TRANSFER_ENCODING', '').lower() == 'chunked':
            try:
                body = environ['wsgi.input'].read(limit + 1)
            except Exception:  # noqa: BLE001 - the server's own errors
                # NOTE: the server's chunked reader met a chunk size that is
                # not hexadecimal or a body cut short. Each WSGI server has
                # its own exception for that (eventlet's ChunkReadError is
                # a ValueError, gunicorn's InvalidChunkSize a ParseException
                # and NoMoreData an IOError), and only its code runs here.
                return self._error(environ, start_response, errors.invalid(
                    'The chunked request body is malformed.'))
            if len(body) > limit:
                return self._too_large(environ, start_response, limit)
            environ['wsgi.input'] = io.BytesIO(body)
            environ['CONTENT_LENGTH'] = str(len(body))
            del environ['HTTP_TRANSFER_ENCODING']
        return self.application(environ, start_response)

    def _too_large(self, environ, start_response, limit):
        return self._error(environ, start_response, errors.ApiError(
            413, errors.REQUEST_TOO_LARGE,
            'The request body is larger than %d bytes.' % limit))

    @staticmethod
    def _error(environ, start_response, error):
        return errors.to_response(error, environ)(environ, start_response)
