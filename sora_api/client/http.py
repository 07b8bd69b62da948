"""The HTTP layer of the client: one session, timeouts, retries, errors.

A request is retried when retrying cannot do harm: always when the
connection could not even be opened (nothing reached the server), and for
idempotent requests also when the connection broke, the answer timed out or
the server answered 503. Every error answer becomes the typed exception of
its contract ``code`` (``sora_api.client.exceptions``).
"""

import logging
import time
import urllib.parse

import requests
from urllib3 import exceptions as urllib3_exceptions

from sora_api.client import exceptions

LOG = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])
USER_AGENT = 'python-soraclient'
MAX_PAUSE = 30.0


class HTTPClient:
    """Talk JSON to one Sora API endpoint with one token.

    ``retries`` is how many times a failed attempt may be repeated (so at
    most ``retries + 1`` tries); the pause between tries grows as
    ``backoff * 2 ** n`` seconds, or follows the server's ``Retry-After``.
    """

    def __init__(self, url, token, timeout=30.0, retries=3, backoff=0.5,
                 session=None):
        if not url or urllib.parse.urlsplit(url).scheme not in ('http',
                                                                 'https'):
            raise ValueError('The Sora API URL must start with http:// or '
                             'https://, not %r.' % (url,))
        if retries < 0:
            raise ValueError('retries must be 0 or more, not %r.' % retries)
        self.url = url.rstrip('/')
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.session = session or requests.Session()
        self.session.headers.update({'Accept': 'application/json',
                                     'User-Agent': USER_AGENT})
        if token:
            self.session.headers['X-Auth-Token'] = token

    def close(self):
        self.session.close()

    def request(self, method, path, json=None, params=None, headers=None,
                idempotent=None):
        """Send a request; return the response or raise its typed error.

        ``idempotent`` overrides the method's own nature, e.g. for a POST
        that carries an ``Idempotency-Key``.
        """
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        url = self.url + path
        tries = self.retries + 1
        for attempt in range(1, tries + 1):
            try:
                response = self.session.request(
                    method, url, json=json, params=params, headers=headers,
                    timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as e:
                if attempt < tries and _can_retry(e, idempotent):
                    self._pause(attempt, '%s %s: %s' % (
                        method, url, self._reason(e)))
                    continue
                raise exceptions.ConnectionFailed(
                    'Could not get an answer from %s after %d %s: %s'
                    % (url, attempt, 'try' if attempt == 1 else 'tries',
                       self._reason(e))) from e
            if (response.status_code == 503 and idempotent
                    and attempt < tries):
                self._pause(attempt, '%s %s: 503' % (method, url),
                            response.headers.get('Retry-After'))
                continue
            if response.status_code >= 400:
                raise exceptions.from_response(response)
            return response
        raise AssertionError('unreachable')  # pragma: no cover

    def get_json(self, path, params=None):
        return self.request('GET', path, params=params).json()

    def paginate(self, path, key, params=None):
        """Yield every item of list ``key``, following ``next`` links."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        markers = set()
        while True:
            body = self.get_json(path, params)
            yield from body.get(key, [])
            href = next((link['href'] for link in body.get('links', [])
                         if link.get('rel') == 'next'), None)
            if href is None:
                return
            # NOTE: only the query of the link is followed, against our own
            # URL: behind a proxy the server may have written another host
            # name into the link.
            params = urllib.parse.parse_qs(urllib.parse.urlsplit(href).query)
            marker = tuple(params.get('marker', ()))
            if marker in markers:
                raise exceptions.SoraError(
                    'The server sent the next link %s twice.' % href)
            markers.add(marker)

    def _pause(self, attempt, what, retry_after=None):
        delay = min(self.backoff * 2 ** (attempt - 1), MAX_PAUSE)
        if retry_after is not None and retry_after.isdigit():
            delay = min(float(retry_after), MAX_PAUSE)
        LOG.debug('Retrying in %.1fs after try %d of %d failed (%s)',
                 delay, attempt, self.retries + 1, what)
        time.sleep(delay)

    def _reason(self, error):
        """A short cause of a transport failure, e.g. 'Connection refused'."""
        if isinstance(error, requests.Timeout):
            return 'no answer within %s seconds' % (self.timeout,)
        cause = error
        while cause is not None:
            if isinstance(cause, OSError) and cause.strerror:
                return cause.strerror
            cause = cause.__cause__ or cause.__context__
        return str(error)


def _can_retry(error, idempotent):
    """Whether repeating the request after ``error`` is safe."""
    return idempotent or _never_sent(error)


def _never_sent(error):
    # A connect timeout, or a connection that was refused or whose host
    # name did not resolve: the request never left this process.
    if isinstance(error, requests.ConnectTimeout):
        return True
    cause = error
    while cause is not None:
        if isinstance(cause, urllib3_exceptions.NewConnectionError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def quote(value):
    """``value`` made safe as one path segment."""
    return urllib.parse.quote(str(value), safe='')
