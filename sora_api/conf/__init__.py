"""Configuration options of Sora API, one module per option group.

The config object is created at the process edge (``sora_api.cmd``) and
passed down; nothing in the package keeps a global ``CONF``.
"""

import configparser

from oslo_config import cfg
from oslo_log import log
from oslo_policy import opts as policy_opts

import sora_api
from sora_api.conf import api
from sora_api.conf import database
from sora_api.conf import events
from sora_api.conf import filter_scheduler
from sora_api.conf import logs
from sora_api.conf import paths
from sora_api.conf import quota
from sora_api.conf import scheduler

_MODULES = (api, database, events, filter_scheduler, logs, paths, quota,
            scheduler)


def register_opts(conf):
    """Register every Sora option (and oslo.log's) on ``conf``."""
    for module in _MODULES:
        module.register_opts(conf)
    log.register_options(conf)
    policy_opts.set_defaults(conf, policy_file='policy.yaml')


def new_config(args=(), default_config_files=None):
    """Build and parse a fresh ``ConfigOpts`` with every option registered.

    ``default_config_files=None`` lets oslo.config look for ``sora.conf`` in
    its standard places; tests pass ``[]`` to read nothing implicitly.
    """
    conf = cfg.ConfigOpts()
    register_opts(conf)
    conf(list(args), project='sora', prog='sora-api',
         version=sora_api.version(),
         default_config_files=default_config_files)
    return conf


def write_config_file(path, options):
    """Write ``options``, ``{group: {option: text}}``, as a config file.

    ``new_config(['--config-file', path])`` reads them back; a value is
    written as given (no ``%`` interpolation), so a URL's ``%40`` stays.
    """
    parser = configparser.ConfigParser(interpolation=None)
    for group, values in options.items():
        if group != 'DEFAULT':
            parser.add_section(group)
        for key, value in values.items():
            parser.set(group, key, value)
    with open(path, 'w') as f:
        parser.write(f)
