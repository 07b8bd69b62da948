"""``/v1/resource_classes``: the kinds of countable resources hosts carry."""

from sora_api.client.http import quote


class ResourceClassesManager:
    """Standard classes (``VCPU``, ``MEMORY_MB``, ``DISK_GB``) and custom ones.

    Custom class names match ``CUSTOM_[A-Z0-9_]+``; creating and deleting
    them is admin-only.
    """

    def __init__(self, http):
        self._http = http

    def list(self):
        """Every class: ``[{"name": "VCPU", "standard": true}, ...]``.

        Follows ``next`` links, as every list of the contract may have them.
        """
        return list(self._http.paginate('/v1/resource_classes',
                                        'resource_classes'))

    def create(self, name):
        """Create a custom class; True if created, False if it existed."""
        response = self._http.request(
            'PUT', '/v1/resource_classes/%s' % quote(name))
        return response.status_code == 201

    def delete(self, name):
        """Delete a custom class; ``InUse`` while a host has an inventory."""
        self._http.request('DELETE', '/v1/resource_classes/%s' % quote(name))
