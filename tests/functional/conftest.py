"""Fixtures that start real ``sora-api`` servers, and clients of them."""

import itertools

import pytest

from sora_api.client import Client
from tests import databases
from tests.functional import server as sora_server

_names = itertools.count()


@pytest.fixture(autouse=True)
def _database_independent(request, monkeypatch):
    """A test marked ``database_independent`` (pytest.ini) that uses the
    server database of a PostgreSQL or MariaDB pass after all fails, rather
    than being left out of those passes for nothing."""
    if request.node.get_closest_marker('database_independent') is None:
        return
    servers = sorted({'api', 'start_server', 'start_module_server'}
                     & set(request.fixturenames))
    assert not servers, ('marked database_independent, but starts servers '
                         'on the database of the pass: %s' % servers)

    def refuse(admin):
        raise AssertionError('marked database_independent, but makes a '
                             'database on the server of the pass')
    monkeypatch.setattr(databases, 'create_database', refuse)


@pytest.fixture(scope='session')
def api(tmp_path_factory):
    """One token-auth server with default options, shared by the session."""
    srv = sora_server.SoraServer(tmp_path_factory.mktemp('sora'))
    srv.start()
    yield srv
    srv.cleanup()


def _starter(tmp_path_factory):
    """``start(options, **kwargs)`` and the servers it started."""
    started = []

    def _start(options=None, **kwargs):
        srv = sora_server.SoraServer(tmp_path_factory.mktemp('sora'),
                                     options, **kwargs)
        started.append(srv)
        return srv.start()
    return _start, started


@pytest.fixture
def start_server(tmp_path_factory):
    """Start servers with their own options; all stopped after the test."""
    start, started = _starter(tmp_path_factory)
    yield start
    for srv in started:
        srv.cleanup()


@pytest.fixture(scope='module')
def start_module_server(tmp_path_factory):
    """``start_server`` for a module-scoped fixture: servers shared by the
    cases of one test that each leave the server as they found it (a
    refused request), where a server per case would only cost its start
    (2-4 s, and a fresh database on PostgreSQL or MariaDB)."""
    start, started = _starter(tmp_path_factory)
    yield start
    for srv in started:
        srv.cleanup()


@pytest.fixture
def admin(api):
    """The Python client with the admin token, on the shared server."""
    with Client(api.url, api.tokens['admin'], timeout=10) as client:
        yield client


@pytest.fixture
def member(api):
    """The Python client with a member's token, on the shared server."""
    with Client(api.url, api.tokens['member'], timeout=10) as client:
        yield client


@pytest.fixture
def unique():
    """A name no other test uses, so tests can share one server."""
    def _unique(prefix='host'):
        return '%s-%d' % (prefix, next(_names))
    return _unique


@pytest.fixture
def make_host(api, unique):
    """Register a host on the shared server; returns its representation."""
    def _make(server=None, **fields):
        srv = server or api
        body = {'name': unique(), 'vcpus': 8, 'memory_mb': 16384,
                'disk_gb': 200}
        body.update(fields)
        response = srv.request('POST', '/v1/hosts', as_='admin', json=body)
        assert response.status_code == 201, response.text
        return response.json()['host']
    return _make
