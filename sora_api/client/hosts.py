"""``/v1/hosts``: register, read, change and retire compute hosts (admin)."""

import uuid

from sora_api.client import exceptions
from sora_api.client.http import quote


class HostsManager:
    """The hosts resource; every method returns plain dicts of the API."""

    def __init__(self, http):
        self._http = http

    def create(self, name, vcpus, memory_mb, disk_gb, **fields):
        """Register a host; ``fields`` are the optional host fields.

        ``inventories={"CUSTOM_GPU_A100": {"total": 4, "max_unit": 2}}``
        gives it custom classes. Raises ``Conflict`` when the name is taken.
        """
        body = dict(fields, name=name, vcpus=vcpus, memory_mb=memory_mb,
                    disk_gb=disk_gb)
        return self._http.request('POST', '/v1/hosts',
                                  json=body).json()['host']

    def list(self, name=None, availability_zone=None, enabled=None,
             status=None, traits=None, limit=None):
        """Every host matching the filters, across all pages.

        ``limit`` is the page size asked of the server; the list is
        complete either way. ``traits`` must all be present on a host.
        """
        params = {'name': name, 'availability_zone': availability_zone,
                  'enabled': None if enabled is None else _flag(enabled),
                  'status': status, 'trait': list(traits or []) or None,
                  'limit': limit}
        return list(self._http.paginate('/v1/hosts', 'hosts', params))

    def get(self, host_id):
        return self._http.get_json('/v1/hosts/%s' % quote(host_id))['host']

    def find(self, name_or_id):
        """The host of this id, else the one host of this name."""
        if is_uuid(name_or_id):
            return self.get(name_or_id)
        hosts = self.list(name=name_or_id)
        if not hosts:
            raise exceptions.NotFound(
                'No host with a name or id of %s exists.' % name_or_id)
        return hosts[0]

    def update(self, host_id, if_match=None, **fields):
        """Change the given fields; returns the host as it now is.

        ``inventories`` replaces the inventory of each class it names, and
        removes a class given as None; the host's other classes stay.
        ``if_match`` (a host ``generation``) makes the change conditional:
        ``PreconditionFailed`` when the host changed in between.
        """
        headers = {}
        if if_match is not None:
            headers['If-Match'] = _etag(if_match)
        response = self._http.request('PUT', '/v1/hosts/%s' % quote(host_id),
                                      json=fields, headers=headers)
        return response.json()['host']

    def delete(self, host_id):
        """Retire a host; ``InUse`` while it carries live allocations."""
        self._http.request('DELETE', '/v1/hosts/%s' % quote(host_id))

    def heartbeat(self, host_id, io_ops=None):
        """Report the host alive, and optionally its work in progress."""
        body = {} if io_ops is None else {'io_ops': io_ops}
        # NOTE: a heartbeat only states the present, so repeating one is
        # harmless and it is retried like a GET.
        self._http.request('POST',
                           '/v1/hosts/%s/heartbeat' % quote(host_id),
                           json=body, idempotent=True)


    def drain(self, host_id, dry_run=False, reason=None):
        """Disable the host and move every instance off it; returns
        ``{"moves": [...], "stuck": [...]}`` (planned only with
        ``dry_run``)."""
        body = {'dry_run': dry_run}
        if reason is not None:
            body['reason'] = reason
        return self._http.request(
            'POST', '/v1/hosts/%s/drain' % quote(host_id), json=body,
            idempotent=dry_run).json()


def _flag(value):
    return 'true' if value else 'false'


def _etag(generation):
    text = str(generation)
    if text == '*' or text.startswith('"'):
        return text
    return '"%s"' % text


def is_uuid(value):
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
