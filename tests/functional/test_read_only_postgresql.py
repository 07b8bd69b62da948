"""A PostgreSQL database turned read-only under a running server (issue 10,
item 5): 503 and a 503 health check, then healing without a restart. The
SQLite faults are in ``test_storage_faults.py``."""

import psycopg2
import pytest
import sqlalchemy as sa

from tests import dbserver
from tests.functional import server as sora_server
from tests.functional.server import assert_error
from tests.functional.server import wait_for

pytestmark = pytest.mark.skipif(
    not sora_server.postgresql_url(),
    reason='needs PostgreSQL: scripts/test.sh --with-postgresql, or set '
           'SORA_TEST_DATABASE_URL')


def admin_sql(database_url, statement):
    """Run ``statement`` from the maintenance database, as the superuser."""
    url = sa.engine.make_url(dbserver.database_url(database_url, 'postgres'))
    conn = psycopg2.connect(host=url.host, port=url.port,
                            user=url.username, password=url.password,
                            dbname=url.database, connect_timeout=10)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def set_read_only(srv, on):
    name = sa.engine.make_url(srv.database_url).database
    admin_sql(srv.database_url,
              'ALTER DATABASE "%s" SET default_transaction_read_only = %s'
              % (name, 'on' if on else 'off'))
    if on:
        # As a failover to a standby would: every session starts again.
        admin_sql(srv.database_url,
                  "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = '%s' AND pid <> pg_backend_pid()" % name)


def host_body(name):
    return {'name': name, 'vcpus': 4, 'memory_mb': 4096, 'disk_gb': 10}


def test_a_read_only_postgresql_database_is_503_and_heals(start_server):
    srv = start_server()
    assert srv.request('POST', '/v1/hosts', as_='admin',
                       json=host_body('ro-before')).status_code == 201
    set_read_only(srv, True)
    try:
        wait_for(lambda: srv.request('GET', '/healthcheck'
                                     ).status_code == 503)
        assert_error(srv.request('GET', '/healthcheck'), 503,
                     'sora.service_unavailable')
        for n in range(3):
            response = srv.request('POST', '/v1/hosts', as_='admin',
                                   json=host_body('ro-refused-%d' % n))
            assert_error(response, 503, 'sora.service_unavailable')
        listed = srv.request('GET', '/v1/hosts', as_='admin')
        assert listed.status_code == 200, listed.text
    finally:
        set_read_only(srv, False)
    # The sessions opened while read-only keep that default: they must
    # not stay pooled once the database takes writes again.
    wait_for(lambda: srv.request('GET', '/healthcheck').status_code == 200)
    response = srv.request('POST', '/v1/hosts', as_='admin',
                           json=host_body('ro-after'))
    assert response.status_code == 201, response.text
    names = {h['name'] for h in srv.request(
        'GET', '/v1/hosts', as_='admin').json()['hosts']}
    assert {'ro-before', 'ro-after'} <= names
    assert not any(n.startswith('ro-refused') for n in names)
