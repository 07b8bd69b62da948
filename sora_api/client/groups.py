"""``/v1/groups``: a project's groups and whether their policy holds."""

from sora_api.client.http import quote


class GroupsManager:
    """The groups resource; every method returns plain dicts of the API."""

    def __init__(self, http):
        self._http = http

    def list(self, limit=None):
        """The caller's project's groups with live instances, all pages."""
        return list(self._http.paginate('/v1/groups', 'groups',
                                        {'limit': limit}))

    def get(self, name):
        """Members, domains, ``largest_domain_share``, ``policy_holds``
        and ``violations`` of one group."""
        return self._http.get_json('/v1/groups/%s' % quote(name))['group']
