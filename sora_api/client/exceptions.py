"""Typed errors of the Sora client, one class per contract error ``code``.

Every error the API answers has the contract's body
(``{"errors": [{"status", "code", "title", "detail", "request_id"}]}``);
``from_response`` turns it into the class of its ``code``, falling back on
the HTTP status when a proxy answered with something else.
"""


class SoraError(Exception):
    """An error answer of the API, or a failure to get one at all.

    ``status`` is the HTTP status (None when no answer came back), ``code``
    the contract's dotted error code, ``detail`` the human-readable text and
    ``request_id`` the ``X-OpenStack-Request-Id`` to quote to an operator.
    """

    def __init__(self, detail, status=None, code=None, title=None,
                 request_id=None, response=None):
        super().__init__(detail)
        self.detail = detail
        self.status = status
        self.code = code
        self.title = title
        self.request_id = request_id
        self.response = response

    def __str__(self):
        """One line: the detail, what explains it, then its identifiers."""
        text = ' '.join(filter(None, [self.detail, self.explain()]))
        facts = [self.status and 'HTTP %d' % self.status, self.code,
                 self.request_id]
        facts = [f for f in facts if f]
        return '%s (%s)' % (text, ', '.join(facts)) if facts else text

    def explain(self):
        """More than ``detail`` says, in one line; '' when nothing."""
        return ''


class ConnectionFailed(SoraError):
    """No answer: the server was unreachable or too slow, after retries."""


class InvalidRequest(SoraError):
    """400 ``sora.invalid_request``: the request was refused as malformed."""


class Unauthorized(SoraError):
    """401 ``sora.unauthorized``: the token is missing or unknown."""


class Forbidden(SoraError):
    """403 ``sora.forbidden``: the token lacks the role for the action."""


class OverQuota(Forbidden):
    """403 ``sora.over_quota``: the request would pass a project's limit."""


class NotFound(SoraError):
    """404 ``sora.not_found``."""


class Conflict(SoraError):
    """409 (or 412) ``sora.conflict``: e.g. a host name already taken."""


class PreconditionFailed(Conflict):
    """412 ``sora.conflict``: ``If-Match`` named a stale host generation."""


class NoValidHost(Conflict):
    """409 ``sora.no_valid_host``; ``explanation`` is the filter funnel,
    ``nearest`` the hosts that came closest, ``relaxations`` the single
    changes to the request with which it would fit."""

    def __init__(self, detail, explanation=None, nearest=None,
                 relaxations=None, **kwargs):
        super().__init__(detail, **kwargs)
        self.explanation = list(explanation or [])
        self.nearest = list(nearest or [])
        self.relaxations = list(relaxations or [])

    def explain(self):
        steps = ['%s %s->%s' % (step.get('filter'), step.get('hosts_in'),
                                step.get('hosts_out'))
                 for step in self.explanation if isinstance(step, dict)]
        return 'Filter funnel: %s.' % ', '.join(steps) if steps else ''


class InUse(Conflict):
    """409 ``sora.in_use``: e.g. a host or class still in use."""


class IdempotencyMismatch(SoraError):
    """422 ``sora.idempotency_mismatch``: a key reused with another body."""


class ServiceUnavailable(SoraError):
    """503 ``sora.service_unavailable``: e.g. the database does not answer."""


_BY_CODE = {
    'sora.invalid_request': InvalidRequest,
    'sora.unauthorized': Unauthorized,
    'sora.forbidden': Forbidden,
    'sora.over_quota': OverQuota,
    'sora.not_found': NotFound,
    'sora.conflict': Conflict,
    'sora.no_valid_host': NoValidHost,
    'sora.in_use': InUse,
    'sora.idempotency_mismatch': IdempotencyMismatch,
    'sora.service_unavailable': ServiceUnavailable,
}

# NOTE: used only when the body carries no known code, e.g. an HTML page
# from a proxy in front of the API.
_BY_STATUS = {
    400: InvalidRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
    409: Conflict, 412: PreconditionFailed, 422: IdempotencyMismatch,
    503: ServiceUnavailable,
}


def _first_error(response):
    try:
        body = response.json()
        error = body['errors'][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return {}
    return error if isinstance(error, dict) else {}


def from_response(response):
    """The typed exception for an error ``response`` (a requests Response)."""
    error = _first_error(response)
    status = response.status_code
    code = error.get('code')
    if status == 412:
        cls = PreconditionFailed
    else:
        cls = _BY_CODE.get(code) or _BY_STATUS.get(status, SoraError)
    detail = (error.get('detail') or response.reason
              or 'HTTP %d' % status)
    kwargs = dict(
        status=status, code=code, title=error.get('title'),
        request_id=(error.get('request_id')
                    or response.headers.get('X-OpenStack-Request-Id')),
        response=response)
    if cls is NoValidHost:
        for name in ('explanation', 'nearest', 'relaxations'):
            kwargs[name] = error.get(name)
    return cls(detail, **kwargs)
