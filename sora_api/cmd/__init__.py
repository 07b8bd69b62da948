"""Process entry points. Importing this package monkey-patches for eventlet.

It is the only place eventlet is patched in: the application, scheduler and
database code never import eventlet, so the same app runs under any server.
"""

import os
import warnings

# NOTE: eventlet's green DNS resolver (dnspython, 200 modules) doubled what
# starting a process costs, and it ignores /etc/hosts entries it cannot
# parse; Nova, Ironic and Designate turn it off the same way. Names are
# then resolved by the C library: binding at start, and connecting to a
# database by name (a lookup the resolver usually answers from its cache).
os.environ.setdefault('EVENTLET_NO_GREENDNS', 'yes')

# NOTE: eventlet warns on import that it is in maintenance mode; the
# contract names it as our server, so operators need not see that on every
# command.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import eventlet  # noqa: E402

eventlet.monkey_patch()


def _green_psycopg2():
    """Make psycopg2 wait for the database through the eventlet hub.

    NOTE: psycopg2 is C code talking to libpq's own socket, which patching
    the socket module cannot reach: a query waiting on a lock or a slow
    server would block the whole process, every green thread of the worker
    with it. psycogreen installs a wait callback that runs libpq
    asynchronously and yields to the hub while the socket is not ready
    (eventlet's own monkey_patch installs an equivalent one when psycopg2
    is importable; psycogreen makes it explicit and independent of that
    default). Without psycopg2 (SQLite only) there is nothing to patch.
    """
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return False
    try:
        from psycogreen import eventlet as psycogreen_eventlet
    except ImportError:
        from eventlet.support import psycopg2_patcher
        psycopg2_patcher.make_psycopg_green()
    else:
        psycogreen_eventlet.patch_psycopg()
    return True


PSYCOPG2_GREEN = _green_psycopg2()
