"""Process entry points. Importing this package monkey-patches for eventlet.

It is the only place eventlet is patched in: the application, scheduler and
database code never import eventlet, so the same app runs under any server.
"""

import warnings

# NOTE: eventlet warns on import that it is in maintenance mode; the
# contract names it as our server, so operators need not see that on every
# command.
warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')

import eventlet  # noqa: E402

eventlet.monkey_patch()
