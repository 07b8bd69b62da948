"""``/ui/`` over HTTP: open without a token, strict CSP, no stray files."""

import re

import pytest

from tests.functional import server as sora_server


def test_the_dashboard_loads_without_a_token_under_a_strict_csp(api):
    response = api.request('GET', '/ui/')
    assert response.status_code == 200
    assert response.headers['Content-Type'].startswith('text/html')
    policy = dict(part.strip().split(' ', 1) for part in
                  response.headers['Content-Security-Policy'].split(';'))
    assert policy['script-src'] == "'self'"
    assert policy['style-src'] == "'self'"
    assert policy['default-src'] == "'none'"
    page = response.text
    # Every script and style is a file; none is inline.
    assert not re.search(r'<script(?![^>]*\bsrc=)', page)
    assert '<style' not in page and 'style=' not in page
    assert not re.search(r'\son[a-z]+=', page)


@pytest.mark.parametrize('name, kind', [
    ('app.js', 'text/javascript'), ('api.js', 'text/javascript'),
    ('charts.js', 'text/javascript'), ('dom.js', 'text/javascript'),
    ('whatif.js', 'text/javascript'), ('app.css', 'text/css'),
])
def test_each_asset_is_served_with_its_type(api, name, kind):
    response = api.request('GET', '/ui/' + name)
    assert response.status_code == 200
    assert response.headers['Content-Type'].startswith(kind)
    assert 'Content-Security-Policy' in response.headers


@pytest.mark.parametrize('path', [
    '/ui/missing.js', '/ui/..%2Fsetup.py', '/ui/index.py', '/ui/a/b.js',
])
def test_anything_else_under_ui_is_404(api, path):
    response = api.request('GET', path)
    sora_server.assert_error(response, 404, 'sora.not_found')


def test_the_api_still_needs_a_token(api):
    sora_server.assert_error(api.request('GET', '/v1/hosts'), 401,
                             'sora.unauthorized')


def test_ui_without_the_slash_sends_the_browser_to_the_dashboard(api):
    response = api.request('GET', '/ui', allow_redirects=False)
    assert response.status_code == 301
    assert response.headers['Location'] == api.url + '/ui/'
    assert api.request('GET', '/ui').url == api.url + '/ui/'
