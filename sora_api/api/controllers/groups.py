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
        instances, by name; ``marker`` is a group name."""
        self.authorize(req, 'sora:group:list')
        params = wsgi.query_params(req, schema.list_query)
        limit = wsgi.limit(params, self.conf)
        self.expire_holds()
        rows = group_status.list_groups(
            self.services.db, self.context(req).project_id, limit + 1,
            marker=params.get('marker', [None])[0])
        rows, links = wsgi.page(req, rows, limit, key='name')
        body = {'groups': [_summary(g, g.members) for g in rows]}
        if links:
            body['links'] = links
        return wsgi.json_response(body)

    def show(self, req, name):
        """GET /v1/groups/{name}: members and their domains, the largest
        share one domain holds, and what breaks the policy now."""
        self.authorize(req, 'sora:group:show')
        self.expire_holds()
        group = group_status.get(self.services.db,
                              self.context(req).project_id, name,
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
