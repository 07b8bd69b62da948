"""Token records: only a SHA-256 hash of each secret is stored."""

import hashlib
import hmac
import secrets
import uuid

import sqlalchemy as sa

from sora_api import exception
from sora_api import timeutils
from sora_api.db import models


def hash_secret(secret):
    return hashlib.sha256(secret.encode('utf-8')).hexdigest()


def create(db, user_id, project_id, roles):
    """Store a new token; return ``(record, secret)``.

    The secret is shown once, to the caller; only its hash is kept.
    """
    secret = secrets.token_urlsafe(32)
    token = models.Token(id=str(uuid.uuid4()), token_hash=hash_secret(secret),
                         user_id=user_id, project_id=project_id,
                         roles=','.join(roles),
                         created_at=timeutils.utcnow())
    with db.writer() as session:
        session.add(token)
    return token, secret


def list_tokens(db):
    with db.reader() as session:
        return list(session.scalars(
            sa.select(models.Token).order_by(models.Token.created_at)))


def revoke(db, token_id):
    with db.writer() as session:
        result = session.execute(
            sa.delete(models.Token).where(models.Token.id == token_id))
        if result.rowcount == 0:
            raise exception.TokenNotFound(token_id=token_id)


_BY_HASH = sa.select(models.Token.__table__).where(
    models.Token.token_hash == sa.bindparam('digest'))


def authenticate(db, secret):
    """The token whose secret this is, or None.

    The lookup is by hash (an index probe); the final comparison of the
    hashes is constant-time so response timing says nothing about near hits.
    """
    digest = hash_secret(secret)
    with db.connection() as conn:
        token = conn.execute(_BY_HASH, {'digest': digest}).first()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    return token
