"""Last resort: any uncaught exception becomes a contract-shaped 500."""

from oslo_log import log as logging

from sora_api.api import errors
from sora_api.api import middleware

LOG = logging.getLogger(__name__)


class FaultWrapper(middleware.Middleware):
    """Log the traceback for the operator; show the client no internals."""

    def __call__(self, environ, start_response):
        try:
            return self.application(environ, start_response)
        except Exception:
            LOG.exception('Unexpected error serving %s %s',
                          environ.get('REQUEST_METHOD'),
                          environ.get('PATH_INFO'))
            error = errors.ApiError(
                500, errors.INTERNAL_ERROR,
                'An unexpected error occurred; the operator can find it in '
                'the log by the request id.')
            return errors.to_response(error, environ)(environ, start_response)
