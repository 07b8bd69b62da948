"""``sora_api.wsgi:application``: Sora API for gunicorn, uWSGI, mod_wsgi.

Importing this module builds the application (see ``sora_api.wsgi_app``
for the environment it reads), as Nova's and Placement's ``wsgi`` modules
do: a WSGI server loads it once per process that serves, or once before
forking them.
"""

from sora_api import wsgi_app

application = wsgi_app.init_application()
