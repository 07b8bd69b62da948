"""``Client``: the entry point of the Python API of Sora."""

from sora_api.client import groups
from sora_api.client import hosts
from sora_api.client import http
from sora_api.client import quotas
from sora_api.client import resource_classes
from sora_api.client import schedules


class Client:
    """A Sora API client.

    ``client.hosts``, ``client.schedules``, ``client.resource_classes``,
    ``client.quotas``, ``client.usages`` and ``client.groups`` hold the
    resource methods.
    ``timeout`` is in seconds per try; ``retries`` how many times a try
    that failed harmlessly is repeated (see ``sora_api.client.http``).
    """

    def __init__(self, url, token, timeout=30.0, retries=3, backoff=0.5,
                 session=None):
        self.http = http.HTTPClient(url, token, timeout=timeout,
                                    retries=retries, backoff=backoff,
                                    session=session)
        self.hosts = hosts.HostsManager(self.http)
        self.schedules = schedules.SchedulesManager(self.http)
        self.resource_classes = resource_classes.ResourceClassesManager(
            self.http)
        self.quotas = quotas.QuotasManager(self.http)
        self.usages = quotas.UsagesManager(self.http)
        self.groups = groups.GroupsManager(self.http)

    @property
    def url(self):
        return self.http.url

    def close(self):
        self.http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
