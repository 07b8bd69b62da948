"""Who is asking: token, noauth and keystone authentication middleware.

Each fills the request context (user, project, roles) made by the request-id
middleware. Discovery and health paths are open to everyone.
"""

import time

from sora_api.api import errors
from sora_api.api import middleware
from sora_api.api.middleware import request_id
from sora_api.db import tokens

PUBLIC_PATHS = frozenset(['/', '/healthcheck', '/openapi.json', '/ui'])
# The dashboard's static files: the page asks for a token itself.
PUBLIC_PREFIX = '/ui/'


class _AuthBase(middleware.Middleware):

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIX):
            return self.application(environ, start_response)
        identity = self.identify(environ)
        if identity is None:
            error = errors.ApiError(
                401, errors.UNAUTHORIZED,
                'The request you have made requires authentication.',
                headers={'WWW-Authenticate': self.challenge})
            return errors.to_response(error, environ)(environ, start_response)
        user_id, project_id, roles = identity
        context = environ[request_id.CONTEXT_KEY]
        context.user_id = user_id
        context.project_id = project_id
        context.roles = roles
        return self.application(environ, start_response)

    challenge = 'Token realm="sora"'

    def identify(self, environ):
        """``(user_id, project_id, roles)`` or None when unauthenticated."""
        raise NotImplementedError


class TokenAuth(_AuthBase):
    """``X-Auth-Token`` checked against the hashed tokens in the database.

    ``Authorization: Bearer <token>`` is accepted too: it is what scrapers
    and HTTP tools send (Prometheus' ``authorization`` block).

    Known tokens are remembered for ``[api] token_cache_time`` seconds,
    keyed by their hash so no secret is kept in memory longer than the
    request.
    """

    # Bound on remembered tokens; past it the cache starts over.
    CACHE_SIZE = 10000

    def __init__(self, application, services):
        super().__init__(application, services)
        self.cache_time = services.conf.api.token_cache_time
        self._cache = {}

    def identify(self, environ):
        secret = environ.get('HTTP_X_AUTH_TOKEN') or _bearer(environ)
        if not secret:
            return None
        digest = tokens.hash_secret(secret)
        now = time.monotonic()
        remembered = self._cache.get(digest)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        token = tokens.authenticate(self.services.db, secret)
        if token is None:
            self._cache.pop(digest, None)
            return None
        identity = token.user_id, token.project_id, _roles(token.roles)
        if self.cache_time:
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[digest] = (now + self.cache_time, identity)
        return identity


class NoAuth(_AuthBase):
    """Development only: believe the ``X-User-Id``/``X-Project-Id`` headers."""

    challenge = 'NoAuth realm="sora"'

    def identify(self, environ):
        user_id = environ.get('HTTP_X_USER_ID')
        project_id = environ.get('HTTP_X_PROJECT_ID')
        if not user_id or not project_id:
            return None
        return user_id, project_id, _roles(environ.get('HTTP_X_ROLES', ''))


class KeystoneContext(_AuthBase):
    """Read the identity ``keystonemiddleware.auth_token`` put in headers."""

    challenge = 'Keystone uri="keystone"'

    def identify(self, environ):
        if environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
            return None
        return (environ.get('HTTP_X_USER_ID'),
                environ.get('HTTP_X_PROJECT_ID'),
                _roles(environ.get('HTTP_X_ROLES', '')))


def _bearer(environ):
    """The token of an ``Authorization: Bearer`` header, or None."""
    scheme, _, credentials = environ.get('HTTP_AUTHORIZATION', '').partition(
        ' ')
    if scheme.lower() != 'bearer':
        return None
    return credentials.strip() or None


def _roles(text):
    return [r.strip().lower() for r in text.split(',') if r.strip()]


def keystone_filter_factory(global_conf, **local_conf):
    """``keystonemiddleware.auth_token`` configured from Sora's own options."""
    from keystonemiddleware import auth_token

    from sora_api.api import deploy
    conf = deploy.services_from(global_conf).conf
    settings = dict(local_conf, oslo_config_config=conf)

    def _factory(app):
        return auth_token.AuthProtocol(app, settings)
    return _factory
