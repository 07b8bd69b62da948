"""Fresh databases on the server database the tests run on, of any kind.

``SORA_TEST_DATABASE_URL`` names the maintenance database of a PostgreSQL
(``tests/pg.py``) or MariaDB (``tests/mysql.py``) server; unset, tests run
on SQLite files.
"""

import os

import sqlalchemy as sa

from tests import dbserver
from tests import mysql
from tests import pg


def admin_url():
    """The maintenance URL of the server database, or None (SQLite)."""
    return os.environ.get(dbserver.ENV_URL) or None


def backend(url):
    """``postgresql``, ``mysql`` or ``sqlite``."""
    return sa.engine.make_url(url).get_backend_name()


def _module(url):
    return mysql if backend(url) == 'mysql' else pg


def create_database(admin):
    """A fresh, empty database on the server of ``admin``; its URL."""
    return _module(admin).create_database(admin)


def drop_database(url):
    """Drop the database of ``url``, ending any session still in it."""
    _module(url).drop_database(url)
