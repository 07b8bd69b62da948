"""Building the WSGI application from ``etc/api-paste.ini``.

Paste Deploy can only hand strings to factories, so ``load_app`` registers
the process's ``Services`` under a key passed as ``global_conf['sora_key']``
and each factory looks it up with ``services_from``.
"""

import os

from paste import deploy

from sora_api import exception
from sora_api import services as sora_services

_REGISTRY = {}
PACKAGE_ETC = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'etc')


def find_paste_config(conf):
    """Absolute path of ``[api] api_paste_config``.

    A relative name is tried next to each configuration file, then in the
    ``etc/`` shipped inside the package.
    """
    name = conf.api.api_paste_config
    if os.path.isabs(name):
        candidates = [name]
    else:
        dirs = [os.path.dirname(os.path.abspath(f))
                for f in conf.config_file or []]
        # ``--config-dir`` may be given several times: a list.
        dirs += list(conf.config_dir or [])
        candidates = [os.path.join(d, name) for d in dirs + [PACKAGE_ETC]]
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise exception.ConfigurationError(
        reason='api_paste_config %s not found in %s'
               % (name, ', '.join(candidates)))


def load_app(services, name='sora-api'):
    """The WSGI application for ``services.conf``, built by Paste Deploy."""
    key = str(id(services))
    _REGISTRY[key] = services
    path = find_paste_config(services.conf)
    return deploy.loadapp('config:' + path, name=name,
                          global_conf={'sora_key': key})


def services_from(global_conf):
    return _REGISTRY[global_conf['sora_key']]


def pipeline_factory(loader, global_conf, **local_conf):
    """Pick the pipeline named by ``[api] auth_strategy`` (as Nova does)."""
    services = services_from(global_conf)
    names = local_conf[services.conf.api.auth_strategy].split()
    app = loader.get_app(names[-1])
    for name in reversed(names[:-1]):
        app = loader.get_filter(name)(app)
    return app


def new_app(conf):
    """Services and application for ``conf``: the usual way to get an app."""
    return load_app(sora_services.Services(conf))
