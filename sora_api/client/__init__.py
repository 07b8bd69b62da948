"""A Python client of the Sora API, and the ``sora`` command built on it.

    from sora_api.client import Client
    client = Client('http://127.0.0.1:8770', token)
    client.hosts.list(availability_zone='az1')
"""

from sora_api.client.client import Client
from sora_api.client.exceptions import SoraError

__all__ = ['Client', 'SoraError']
