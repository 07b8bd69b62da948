"""Option discovery for ``oslo-config-generator``.

``etc/sora-config-generator.conf`` names this module's namespace.
"""

import collections

from sora_api import conf as sora_conf


def list_opts():
    """Return ``[(group, [opts])]`` for every Sora option group."""
    grouped = collections.OrderedDict()
    for module in sora_conf._MODULES:
        for group, opts in module.list_opts().items():
            grouped.setdefault(group, []).extend(opts)
    return list(grouped.items())
