"""Controllers: one class per resource, one small method per action."""

from sora_api.api.middleware import request_id


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
