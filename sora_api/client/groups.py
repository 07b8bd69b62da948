"""``/v1/groups``: a project's groups and whether their policy holds."""

from sora_api.client.http import quote


class GroupsManager:
    """The groups resource; every method returns plain dicts of the API."""

    def __init__(self, http):
        self._http = http

    def list(self, all_projects=False, limit=None):
        """The caller's project's groups with live instances (admin
        ``all_projects``: every project's, each with its ``project_id``),
        all pages."""
        return list(self._http.paginate(
            '/v1/groups', 'groups',
            {'all_projects': 'true' if all_projects else None,
             'limit': limit}))

    def get(self, name, project_id=None):
        """Members, domains, ``largest_domain_share``, ``policy_holds``
        and ``violations`` of one group (admin: of ``project_id``'s)."""
        path = '/v1/groups/%s' % _segment(name)
        if project_id is not None:
            path += '?project_id=%s' % quote(project_id)
        return self._http.get_json(path)['group']


def _segment(name):
    """``name`` as one path segment; "." and ".." spelled %2E, as a URL
    library would otherwise resolve them."""
    if name in ('.', '..'):
        return name.replace('.', '%2E')
    return quote(name)
