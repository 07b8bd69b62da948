"""Error codes of the contract and the one formatter of error bodies.

The codes are part of the public API: they never change.
"""

import json

import webob

INVALID_REQUEST = 'sora.invalid_request'
UNAUTHORIZED = 'sora.unauthorized'
FORBIDDEN = 'sora.forbidden'
NOT_FOUND = 'sora.not_found'
CONFLICT = 'sora.conflict'
NO_VALID_HOST = 'sora.no_valid_host'
IN_USE = 'sora.in_use'
IDEMPOTENCY_MISMATCH = 'sora.idempotency_mismatch'
SERVICE_UNAVAILABLE = 'sora.service_unavailable'
OVER_QUOTA = 'sora.over_quota'
HOLD_EXPIRED = 'sora.hold_expired'
# Not named by the contract, used where none of the above fits.
METHOD_NOT_ALLOWED = 'sora.method_not_allowed'
REQUEST_TOO_LARGE = 'sora.request_too_large'
NOT_ACCEPTABLE = 'sora.not_acceptable'
INTERNAL_ERROR = 'sora.internal_error'
REQUEST_TIMEOUT = 'sora.request_timeout'
NOT_IMPLEMENTED = 'sora.not_implemented'

REQUEST_ID_KEY = 'openstack.request_id'


class ApiError(Exception):
    """An error answer: raised by controllers, rendered by ``to_response``."""

    def __init__(self, status, code, detail, headers=None, **extra):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def invalid(detail, **extra):
    return ApiError(400, INVALID_REQUEST, detail, **extra)


def to_response(error, environ):
    """The contract's JSON error body for ``error`` as a WebOb response."""
    status = webob.Response(status=error.status).status
    item = {'status': error.status, 'code': error.code,
            'title': status.split(' ', 1)[1], 'detail': error.detail,
            'request_id': environ.get(REQUEST_ID_KEY)}
    item.update(error.extra)
    response = webob.Response(
        status=error.status, content_type='application/json',
        charset='utf-8', body=json.dumps({'errors': [item]}).encode('utf-8'))
    for name, value in error.headers.items():
        response.headers[name] = value
    return response
