"""Controllers: one class per resource, one small method per action."""

from sora_api.api.middleware import request_id
from sora_api.db import holds


class Controller:
    """Holds the process's services; actions take a WebOb request."""

    def __init__(self, services):
        self.services = services
        self.conf = services.conf

    @staticmethod
    def context(req):
        return req.environ[request_id.CONTEXT_KEY]

    def authorize(self, req, action, target=None):
        """Raise ``Forbidden`` unless the caller may do ``action``."""
        self.services.policy.authorize(self.context(req), action, target)

    def expire_holds(self):
        """Release holds past their time before reading usage, so no answer
        counts them as used even between two runs of the expiry timer."""
        holds.expire_due(self.services.db)
