"""``/v1/schedules``: place instances on hosts, read and release them."""

import uuid

from sora_api.client.http import quote


def build_request(resources, num_instances=None, availability_zone=None,
                  required_traits=None, forbidden_traits=None, metadata=None,
                  hints=None):
    """The body of ``POST /v1/schedules``, leaving out what was not given.

    ``resources`` maps ``vcpus``/``memory_mb``/``disk_gb`` and any class
    name (``CUSTOM_GPU_A100``) to amounts;
    ``hints`` holds ``group``, ``group_policy``, ``same_host``,
    ``different_host``, ``query``, ``ignore_hosts``, ``force_hosts``.
    """
    body = {'resources': dict(resources)}
    optional = {'num_instances': num_instances,
                'availability_zone': availability_zone,
                'required_traits': required_traits,
                'forbidden_traits': forbidden_traits,
                'metadata': metadata, 'hints': hints}
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
        ``NoValidHost`` (with ``.explanation``) when nothing fits.
        """
        key = idempotency_key or str(uuid.uuid4())
        response = self._http.request(
            'POST', '/v1/schedules', json=build_request(resources, **options),
            headers={'Idempotency-Key': key}, idempotent=True)
        return response.json()['schedule']

    def dry_run(self, resources, **options):
        """Rank the candidate hosts without claiming anything.

        Returns ``{"candidates": [...], "explanation": [...]}``, best
        candidate first.
        """
        body = dict(build_request(resources, **options), dry_run=True)
        # NOTE: a dry run stores nothing, so it is as safe to retry as a GET.
        return self._http.request('POST', '/v1/schedules', json=body,
                                  idempotent=True).json()

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

    def delete(self, schedule_id):
        """Release every allocation of the schedule."""
        self._http.request('DELETE', '/v1/schedules/%s' % quote(schedule_id))
