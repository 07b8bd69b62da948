"""``/v1/groups``: a project's groups, where their members are and whether
their policy still holds."""

from sora_api import topology
from sora_api.api import controllers
from sora_api.api import wsgi
from sora_api.api.schemas import groups as schema
from sora_api.db import group_status


class GroupsController(controllers.Controller):

    def index(self, req):
        """GET /v1/groups: the caller's project's groups with live
        instances, by name; ``marker`` is a group name. Admin
        ``all_projects=true``: every project's, by project and name, each
        with its ``project_id``; ``marker`` is ``<project id>/<name>``."""
        self.authorize(req, 'sora:group:list')
        params = wsgi.query_params(req, schema.list_query)
        all_projects = params.get('all_projects', ['false'])[0] == 'true'
        marker = params.get('marker', [None])[0]
        if all_projects:
            self.authorize(req, 'sora:group:list:all_projects')
            if marker is not None:
                wsgi.validate(marker, schema.ALL_PROJECTS_MARKER)
                marker = tuple(marker.split('/', 1))
        limit = wsgi.limit(params, self.conf)
        self.expire_holds()
        rows = group_status.list_groups(
            self.services.db,
            None if all_projects else self.context(req).project_id,
            limit + 1, marker=marker)
        if all_projects:
            rows = [dict(_summary(g, g.members), project_id=g.project_id,
                         marker=f'{g.project_id}/{g.name}') for g in rows]
            rows, links = wsgi.page(req, rows, limit, key='marker')
            groups = [{k: v for k, v in g.items() if k != 'marker'}
                      for g in rows]
        else:
            rows, links = wsgi.page(req, rows, limit, key='name')
            groups = [_summary(g, g.members) for g in rows]
        return wsgi.list_response('groups', groups, links)

    def show(self, req, name):
        """GET /v1/groups/{name}: members and their domains, the largest
        share one domain holds, and what breaks the policy now. Admin
        ``project_id=P``: project P's group of that name."""
        self.authorize(req, 'sora:group:show')
        params = wsgi.query_params(req, schema.show_query)
        project_id = self.context(req).project_id
        if 'project_id' in params:
            self.authorize(req, 'sora:group:show:all_projects')
            project_id = params['project_id'][0]
        self.expire_holds()
        group = group_status.get(self.services.db, project_id, name,
                              self.conf.scheduler.service_down_time)
        key = group.topology_key or topology.DEFAULT_KEY
        health = topology.health(group.policy, key, group.max_per_domain,
                                 group.members)
        body = _summary(group, [{
            'schedule_id': m.schedule_id, 'instance_index': m.instance_index,
            'host_id': m.host_id, 'host_name': m.host_name,
            'domain': topology.domain_of(key, m.host_name,
                                         m.availability_zone, m.metadata)}
            for m in group.members])
        body.update(domains=health.domains,
                    largest_domain_share=health.largest_domain_share,
                    policy_holds=health.policy_holds,
                    violations=health.violations)
        return wsgi.json_response({'group': body})


def _summary(group, members):
    return {'name': group.name, 'policy': group.policy,
            'topology_key': group.topology_key,
            'max_per_domain': group.max_per_domain, 'members': members}
