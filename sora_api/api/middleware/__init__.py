"""WSGI middleware of the Paste pipeline, one class per module.

The order is set and explained in ``etc/api-paste.ini``.
"""


class Middleware:
    """Base of Sora's middleware: ``filter_factory`` for Paste Deploy."""

    def __init__(self, application, services):
        self.application = application
        self.services = services

    @classmethod
    def filter_factory(cls, global_conf, **local_conf):
        from sora_api.api import deploy
        services = deploy.services_from(global_conf)

        def _factory(app):
            return cls(app, services)
        return _factory
