"""Options of the ``[quota]`` group: default limits of every project."""

from oslo_config import cfg

GROUP = 'quota'


def _limit(name, what):
    return cfg.IntOpt(
        name, default=-1, min=-1,
        help="""
Default limit of %s a project's live schedules may hold.

Applies to every project without a limit of its own for it
(``PUT /v1/quotas/{project_id}``). Checked in the claim's transaction, so
concurrent requests never take a project past it.

Possible values:

* -1: unlimited
* 0 or more: the limit
""" % what)


quota_opts = [
    _limit('instances', 'instances'),
    _limit('vcpus', 'vCPUs (class ``VCPU``)'),
    _limit('memory_mb', 'memory in MB (class ``MEMORY_MB``)'),
    _limit('disk_gb', 'disk in GB (class ``DISK_GB``)'),
]


def register_opts(conf):
    # NOTE: a fresh OptGroup per ConfigOpts: oslo.config keeps registered
    # options and their overrides on the group object itself.
    conf.register_group(cfg.OptGroup(GROUP, title='Quota options'))
    conf.register_opts(quota_opts, group=GROUP)


def list_opts():
    return {GROUP: quota_opts}
