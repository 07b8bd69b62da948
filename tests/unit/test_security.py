"""Claims of docs/security.md that need no server: tokens, secrets, roles."""

import hashlib
import importlib.util
import logging
import os

import sqlalchemy as sa

from sora_api.db import engine
from sora_api.db import migration
from sora_api.db import models
from sora_api.db import tokens

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _generator():
    path = os.path.join(ROOT, 'tools', 'gen_policy_doc.py')
    spec = importlib.util.spec_from_file_location('gen_policy_doc', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_role_table_in_security_md_matches_the_policy_defaults():
    with open(os.path.join(ROOT, 'docs', 'security.md')) as f:
        doc = f.read()
    assert _generator().render_table() in doc, (
        'docs/security.md role table is stale: run '
        'python tools/gen_policy_doc.py')


def test_the_role_table_names_every_rule_with_an_operation():
    from sora_api import policies
    table = _generator().render_table()
    for rule in policies.list_rules():
        if getattr(rule, 'operations', None):
            assert '| `%s` |' % rule.name in table


def test_a_token_has_256_random_bits_and_only_its_sha256_is_stored(
        conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    db = engine.Database(conf)
    migration.upgrade(db.engine)
    secrets = [tokens.create(db, 'u', 'p', ['member'])[1] for _ in range(20)]
    # token_urlsafe(32): 32 bytes, 43 URL-safe base64 characters.
    assert {len(s) for s in secrets} == {43}
    assert len(set(secrets)) == len(secrets)
    with db.reader() as session:
        stored = sorted(session.scalars(sa.select(models.Token.token_hash)))
    assert stored == sorted(hashlib.sha256(s.encode()).hexdigest()
                            for s in secrets)
    db.engine.dispose()


def test_a_near_miss_token_authenticates_nobody(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    db = engine.Database(conf)
    migration.upgrade(db.engine)
    _, secret = tokens.create(db, 'u', 'p', ['member'])
    stored = tokens.hash_secret(secret)
    for guess in (secret[:-1], secret + 'x', secret.upper(), stored,
                  ' ' + secret, ''):
        assert tokens.authenticate(db, guess) is None
    assert tokens.authenticate(db, secret) is not None
    db.engine.dispose()


class _Capture(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


def test_the_database_url_is_masked_when_options_are_logged(conf):
    url = 'postgresql+psycopg2://sora:hunter2-s3cret@db.example/sora'
    conf.set_override('connection', url, group='database')
    logger = logging.getLogger('sora-test-options')
    capture = _Capture()
    logger.addHandler(capture)
    logger.setLevel(logging.DEBUG)
    try:
        conf.log_opt_values(logger, logging.DEBUG)
    finally:
        logger.removeHandler(capture)
    text = '\n'.join(capture.lines)
    assert 'database.connection' in text
    assert 'hunter2' not in text
