"""``/v1/events``: the change feed, with long polling."""

from sora_api import timeutils
from sora_api.api import controllers
from sora_api.api import errors
from sora_api.api import wsgi
from sora_api.api.schemas import events as schema


class EventsController(controllers.Controller):

    def index(self, req):
        """GET /v1/events: events from ``since``, oldest first.

        Admin sees every event; other callers their project's schedule
        events. ``wait`` (at most 30 s) holds an empty answer until an event
        arrives.
        """
        self.authorize(req, 'sora:event:list')
        params = wsgi.query_params(req, schema.list_query)
        since = _number(params, 'since')
        limit = _number(params, 'limit')
        if limit is None:
            limit = self.conf.api.max_limit
        elif limit > self.conf.api.max_limit:
            raise errors.invalid('limit must be at most %d.'
                                 % self.conf.api.max_limit)
        wait = _number(params, 'wait') or 0
        if wait > schema.MAX_WAIT:
            raise errors.invalid('wait must be at most %d seconds.'
                                 % schema.MAX_WAIT)
        sees_all = self.services.policy.allows(
            self.context(req), 'sora:event:list:all_projects')
        page = self.services.feed.read(
            since, limit, wait,
            project_id=None if sees_all else self.context(req).project_id)
        body = {'events': [_view(e) for e in page.events], 'next': page.next}
        if page.truncated:
            body['truncated'] = True
        return wsgi.json_response(body)


def _number(params, name):
    value = params.get(name, [None])[0]
    return None if value is None else int(value)


def _view(event):
    body = {'id': event['id'], 'time': timeutils.isotime(event['time']),
            'type': event['type']}
    if event['host_id'] is not None:
        body['host_id'] = event['host_id']
    else:
        body['schedule_id'] = event['schedule_id']
        body['project_id'] = event['project_id']
    return body
