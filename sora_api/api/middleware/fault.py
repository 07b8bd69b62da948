"""Last resort: any uncaught exception becomes a contract-shaped 500."""

from oslo_log import log as logging

from sora_api import exception
from sora_api.api import errors
from sora_api.api import middleware

LOG = logging.getLogger(__name__)


class FaultWrapper(middleware.Middleware):
    """Log the traceback for the operator; show the client no internals."""

    def __call__(self, environ, start_response):
        try:
            return self.application(environ, start_response)
        except exception.DatabaseUnavailable as e:
            # NOTE: raised above the router too (token lookup in the auth
            # middleware); a database that is down is a 503, not a bug.
            LOG.warning('Database unavailable serving %s %s: %s',
                        environ.get('REQUEST_METHOD'),
                        environ.get('PATH_INFO'), e.__cause__ or e)
            error = errors.ApiError(503, errors.SERVICE_UNAVAILABLE,
                                    e.message)
            return errors.to_response(error, environ)(environ, start_response)
        except Exception:
            LOG.exception('Unexpected error serving %s %s',
                          environ.get('REQUEST_METHOD'),
                          environ.get('PATH_INFO'))
            error = errors.ApiError(
                500, errors.INTERNAL_ERROR,
                'An unexpected error occurred; the operator can find it in '
                'the log by the request id.')
            return errors.to_response(error, environ)(environ, start_response)
