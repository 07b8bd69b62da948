"""``/ui/``: the operator's dashboard, static files shipped in the package.

Open without a token (the page asks for one). Every answer carries a
Content-Security-Policy that allows only this server's own scripts, styles
and API: no inline script or style, no outside network.
"""

import os

import webob

from sora_api.api import controllers
from sora_api.api import errors
from sora_api.api import wsgi

DIRECTORY = os.path.join(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__)))), 'ui')
TYPES = {'.html': 'text/html', '.css': 'text/css',
         '.js': 'text/javascript', '.svg': 'image/svg+xml'}
# A path segment the router accepts as an asset name.
ASSET = r'[a-z0-9-]+\.(?:css|js|svg)'
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; "
          "img-src 'self'; connect-src 'self'; base-uri 'none'; "
          "form-action 'none'; frame-ancestors 'none'")


class UiController(controllers.Controller):

    def __init__(self, services):
        super().__init__(services)
        # NOTE: read once: the files are small and ship with the code.
        self.files = {name: _read(name) for name in os.listdir(DIRECTORY)
                      if os.path.splitext(name)[1] in TYPES}

    def to_index(self, req):
        """GET /ui: the dashboard is at /ui/ (its assets are relative)."""
        response = webob.Response(status=301)
        response.headers['Location'] = wsgi.base_url(req) + '/ui/'
        return response

    def index(self, req):
        """GET /ui/: the dashboard page."""
        return self._file('index.html')

    def asset(self, req, asset):
        """GET /ui/{asset}: a script, stylesheet or image of the page."""
        return self._file(asset)

    def _file(self, name):
        body = self.files.get(name)
        if body is None:
            raise errors.ApiError(404, errors.NOT_FOUND,
                                  'The resource could not be found.')
        response = webob.Response(status=200, body=body)
        response.headers['Content-Type'] = (
            TYPES[os.path.splitext(name)[1]] + '; charset=utf-8')
        response.headers['Content-Security-Policy'] = POLICY
        response.headers['X-Content-Type-Options'] = 'nosniff'
        response.headers['Referrer-Policy'] = 'no-referrer'
        response.headers['Cache-Control'] = 'no-cache'
        return response


def _read(name):
    with open(os.path.join(DIRECTORY, name), 'rb') as f:
        return f.read()
