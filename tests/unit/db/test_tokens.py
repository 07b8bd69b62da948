"""Tokens: only hashes are stored; lookups find the right identity."""

import pytest
import sqlalchemy as sa

from sora_api import exception
from sora_api.db import models
from sora_api.db import tokens


def test_a_created_token_authenticates_as_its_identity(db):
    record, secret = tokens.create(db, 'alice', 'project-a',
                                   ['member', 'reader'])
    found = tokens.authenticate(db, secret)
    assert found.id == record.id
    assert (found.user_id, found.project_id) == ('alice', 'project-a')
    assert found.roles == 'member,reader'


def test_the_secret_itself_is_never_stored(db):
    _, secret = tokens.create(db, 'alice', 'project-a', ['member'])
    with db.reader() as session:
        stored = session.execute(sa.select(models.Token.__table__)).all()
    assert stored
    assert all(secret not in str(tuple(row)) for row in stored)


def test_an_unknown_secret_authenticates_nobody(db):
    tokens.create(db, 'alice', 'project-a', ['member'])
    assert tokens.authenticate(db, 'not-a-token') is None


def test_a_revoked_token_no_longer_authenticates(db):
    record, secret = tokens.create(db, 'alice', 'project-a', ['member'])
    tokens.revoke(db, record.id)
    assert tokens.authenticate(db, secret) is None
    with pytest.raises(exception.TokenNotFound):
        tokens.revoke(db, record.id)
