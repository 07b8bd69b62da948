"""Load the scheduler's drivers, filters and weighers through stevedore.

Plugins are named explicitly in the configuration and fail loudly: a typo in
``[filter_scheduler] enabled_filters`` stops the server at start-up with a
message that names the plugin and the option, rather than scheduling without
the filter.
"""

from stevedore import driver
from stevedore import exception as stevedore_exception
from stevedore import named

from sora_api import exception

DRIVER_NAMESPACE = 'sora.scheduler.drivers'
FILTER_NAMESPACE = 'sora.scheduler.filters'
WEIGHER_NAMESPACE = 'sora.scheduler.weighers'


def _missing(kind, namespace, option):
    def callback(names):
        raise exception.PluginNotFound(
            kind=kind, names=', '.join(sorted(names)), namespace=namespace,
            option=option)
    return callback


def _broken(kind, option):
    def callback(manager, entrypoint, error):
        raise exception.ConfigurationError(
            reason=f'the {kind} {entrypoint.name} named in {option} failed '
                   f'to load: {error}') from error
    return callback


def _load_named(conf, namespace, names, kind, option):
    manager = named.NamedExtensionManager(
        namespace, names, name_order=True, invoke_on_load=True,
        invoke_args=(conf,),
        on_missing_entrypoints_callback=_missing(kind, namespace, option),
        on_load_failure_callback=_broken(kind, option))
    plugins = []
    for extension in manager:
        # The entry-point name is what users see in funnels and weights.
        extension.obj.name = extension.name
        plugins.append(extension.obj)
    return plugins


def load_filters(conf):
    """Return the ``[filter_scheduler] enabled_filters``, in their order,
    except that those which ``runs_last`` come after the others (in their
    order among themselves)."""
    loaded = _load_named(conf, FILTER_NAMESPACE,
                         conf.filter_scheduler.enabled_filters, 'filter',
                         '[filter_scheduler] enabled_filters')
    return sorted(loaded, key=lambda f: f.runs_last)


def load_weighers(conf):
    """Return the ``[filter_scheduler] weighers``, in their order."""
    return _load_named(conf, WEIGHER_NAMESPACE,
                       conf.filter_scheduler.weighers, 'weigher',
                       '[filter_scheduler] weighers')


def load_driver(conf, rng):
    """Return the ``[scheduler] driver``, built with ``(conf, rng)``."""
    option = '[scheduler] driver'
    try:
        manager = driver.DriverManager(
            DRIVER_NAMESPACE, conf.scheduler.driver, invoke_on_load=True,
            invoke_args=(conf, rng),
            on_load_failure_callback=_broken('scheduler driver', option))
    except stevedore_exception.NoMatches:
        raise exception.PluginNotFound(
            kind='scheduler driver', names=conf.scheduler.driver,
            namespace=DRIVER_NAMESPACE, option=option) from None
    return manager.driver
