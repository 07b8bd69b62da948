"""``/v1/quotas`` and ``/v1/usages``: project limits and what is held."""

from sora_api.client.http import quote


class QuotasManager:
    """Per-project limits: ``instances`` and any class (``VCPU``, ...).

    A limit of -1 is unlimited; a class without one of the project's own
    falls back to the server's ``[quota]`` default.
    """

    def __init__(self, http):
        self._http = http

    def get(self, project_id):
        """``{"project_id", "limits": {...}, "usage": {...}}``."""
        return self._http.get_json(
            '/v1/quotas/%s' % quote(project_id))['quota']

    def update(self, project_id, limits):
        """Replace the project's limits with ``limits`` (admin)."""
        response = self._http.request(
            'PUT', '/v1/quotas/%s' % quote(project_id),
            json={'limits': dict(limits)})
        return response.json()['quota']

    def delete(self, project_id):
        """Drop the project's own limits: back to the defaults (admin)."""
        self._http.request('DELETE', '/v1/quotas/%s' % quote(project_id))


class UsagesManager:
    """What live schedules hold: ``instances`` and an amount per class."""

    def __init__(self, http):
        self._http = http

    def get(self, project_id=None):
        """The caller's project's usage (admin: any ``project_id``'s)."""
        params = {'project_id': project_id} if project_id else None
        return self._http.get_json('/v1/usages', params)['usage']

    def list(self):
        """Every project's usage (admin), following ``next`` links."""
        return list(self._http.paginate('/v1/usages', 'usages',
                                        {'all_projects': 'true'}))
