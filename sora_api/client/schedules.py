"""``/v1/schedules``: place instances on hosts, read and release them."""

import uuid

from sora_api.client.http import quote


def build_request(resources, num_instances=None, availability_zone=None,
                  required_traits=None, forbidden_traits=None, metadata=None,
                  hints=None, hold_seconds=None, tolerations=None,
                  preferences=None):
    """The body of ``POST /v1/schedules``, leaving out what was not given.

    ``resources`` maps ``vcpus``/``memory_mb``/``disk_gb`` and any class
    name (``CUSTOM_GPU_A100``) to amounts;
    ``hints`` holds ``group``, ``group_policy``, ``group_topology_key``,
    ``max_per_domain``, ``spread``, ``same_host``, ``different_host``,
    ``query``, ``ignore_hosts``, ``force_hosts``;
    ``hold_seconds`` holds the schedule until confirmed or that late;
    ``tolerations`` (``[{"key", "operator", "value", "effect"}]``) let it
    onto tainted hosts and ``preferences`` (``[{"weight", "query"}]``)
    rank the hosts their JsonFilter queries match.
    """
    body = {'resources': dict(resources)}
    optional = {'num_instances': num_instances,
                'availability_zone': availability_zone,
                'required_traits': required_traits,
                'forbidden_traits': forbidden_traits,
                'metadata': metadata, 'hints': hints,
                'hold_seconds': hold_seconds, 'tolerations': tolerations,
                'preferences': preferences}
    body.update((k, v) for k, v in optional.items() if v is not None)
    return body


class SchedulesManager:
    """The schedules resource; every method returns plain dicts of the API."""

    def __init__(self, http):
        self._http = http

    def create(self, resources, idempotency_key=None, **options):
        """Place and claim; the options are those of ``build_request``.

        Every call carries an ``Idempotency-Key`` (a fresh uuid4 unless
        given), so the retries of one call can never claim twice. Raises
        ``NoValidHost`` (with ``.explanation``, ``.nearest`` and
        ``.relaxations``) when nothing fits.
        """
        key = idempotency_key or str(uuid.uuid4())
        response = self._http.request(
            'POST', '/v1/schedules', json=build_request(resources, **options),
            headers={'Idempotency-Key': key}, idempotent=True)
        return response.json()['schedule']

    def dry_run(self, resources, **options):
        """Rank the candidate hosts without claiming anything.

        Returns ``{"candidates": [...], "explanation": [...], "nearest":
        [...], "relaxations": [...]}``, best candidate first.
        """
        body = dict(build_request(resources, **options), dry_run=True)
        # NOTE: a dry run stores nothing, so it is as safe to retry as a GET.
        return self._http.request('POST', '/v1/schedules', json=body,
                                  idempotent=True).json()

    def capacity(self, resources, **options):
        """How many more instances of this request fit now
        (``POST /v1/capacity``): ``{"instances", "by_availability_zone",
        "limited_by", "quota_remaining"}``. The options are those of
        ``build_request`` but ``num_instances``; nothing is claimed."""
        # NOTE: it claims nothing, so it is as safe to retry as a GET.
        return self._http.request(
            'POST', '/v1/capacity', json=build_request(resources, **options),
            idempotent=True).json()['capacity']

    def list(self, all_projects=False, status=None, host_id=None,
             group=None, limit=None):
        """The caller's schedules (admin: every project's), all pages."""
        params = {'all_projects': 'true' if all_projects else None,
                  'status': status, 'host_id': host_id, 'group': group,
                  'limit': limit}
        return list(self._http.paginate('/v1/schedules', 'schedules',
                                        params))

    def get(self, schedule_id):
        return self._http.get_json(
            '/v1/schedules/%s' % quote(schedule_id))['schedule']

    def delete(self, schedule_id, if_match=None):
        """Release every allocation of the schedule."""
        self._http.request('DELETE', '/v1/schedules/%s' % quote(schedule_id),
                           headers=_if_match(if_match))

    def confirm(self, schedule_id, if_match=None):
        """Make a held schedule active; ``Conflict`` (code
        ``sora.hold_expired``) when its hold ran out first."""
        return self._action(schedule_id, 'confirm', None, if_match)

    def move(self, schedule_id, instance_index=None, ignore_hosts=None,
             if_match=None):
        """Move one instance (every one without ``instance_index``) to
        another host chosen under the schedule's own request."""
        body = {}
        if instance_index is not None:
            body['instance_index'] = instance_index
        if ignore_hosts:
            body['ignore_hosts'] = list(ignore_hosts)
        return self._action(schedule_id, 'move', body, if_match)

    def resize(self, schedule_id, resources, if_match=None):
        """Give every instance ``resources`` (class or field -> amount)."""
        return self._action(schedule_id, 'resize', {'resources': resources},
                            if_match)

    def _action(self, schedule_id, action, body, if_match):
        # NOTE: not retried: a repeat after a lost answer would move again;
        # pass ``if_match`` to make a repeat a harmless 412.
        response = self._http.request(
            'POST', '/v1/schedules/%s/%s' % (quote(schedule_id), action),
            json=body, headers=_if_match(if_match))
        return response.json()['schedule']


def _if_match(generation):
    """The ``If-Match`` header of a schedule ``generation`` (None: none)."""
    if generation is None:
        return {}
    return {'If-Match': '"%d"' % generation}
