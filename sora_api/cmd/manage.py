"""``sora-manage``: operator commands, ``db sync``, ``token ...`` and
``policy check``.

Sub-commands are oslo.config CLI options, as in ``nova-manage``, so they
read the same ``--config-file`` as the server.
"""

import sys

from oslo_config import cfg
from oslo_log import log as logging

import sora_api
from sora_api import conf as sora_conf
from sora_api import exception
from sora_api import policy_file
from sora_api import timeutils
from sora_api.conf import logs
from sora_api.db import engine
from sora_api.db import migration
from sora_api.db import tokens

ROLES = ('admin', 'member', 'reader', 'metrics_reader')


def db_sync(conf, db):
    """Create the schema or upgrade it to the newest revision."""
    migration.upgrade(db.engine)
    print('Database at revision %s' % migration.current_revision(db.engine))
    return 0


def token_create(conf, db):
    """Store a new token; its secret is the last line printed."""
    args = conf.command
    token, secret = tokens.create(db, args.user, args.project, args.role)
    print('Created token %s for user %s, project %s, roles %s'
          % (token.id, token.user_id, token.project_id, token.roles))
    print('Keep the secret below; it is not stored and cannot be shown again.')
    print(secret)
    return 0


def token_list(conf, db):
    print('%-36s  %-20s  %-20s  %-24s  %s' % ('id', 'user', 'project',
                                              'roles', 'created_at'))
    for token in tokens.list_tokens(db):
        print('%-36s  %-20s  %-20s  %-24s  %s' % (
            token.id, token.user_id, token.project_id, token.roles,
            timeutils.isotime(token.created_at)))
    return 0


def token_revoke(conf, db):
    tokens.revoke(db, conf.command.token_id)
    print('Revoked token %s' % conf.command.token_id)
    return 0


def policy_check(conf, db):
    """Check the policy file: syntax, rules, references (exit 1 if bad)."""
    path = policy_file.check(conf)
    if path is None:
        print('No policy file %s: the defaults in code apply.'
              % conf.oslo_policy.policy_file)
    else:
        print('Policy file %s is valid.' % path)
    return 0


def _add_db(subparsers):
    db_parser = subparsers.add_parser('db', help='Database schema.')
    actions = db_parser.add_subparsers(dest='action')
    actions.required = True
    sync = actions.add_parser('sync', help=db_sync.__doc__)
    sync.set_defaults(func=db_sync)


def _add_token(subparsers):
    token_parser = subparsers.add_parser('token', help='API tokens.')
    actions = token_parser.add_subparsers(dest='action')
    actions.required = True
    create = actions.add_parser('create', help=token_create.__doc__)
    create.add_argument('--user', required=True)
    create.add_argument('--project', required=True)
    create.add_argument('--role', required=True, action='append',
                        choices=ROLES, help='Repeat for several roles.')
    create.set_defaults(func=token_create)
    actions.add_parser('list', help='List tokens (never their secrets).'
                       ).set_defaults(func=token_list)
    revoke = actions.add_parser('revoke', help='End a token.')
    revoke.add_argument('token_id')
    revoke.set_defaults(func=token_revoke)


def _add_policy(subparsers):
    policy_parser = subparsers.add_parser('policy', help='Policy file.')
    actions = policy_parser.add_subparsers(dest='action')
    actions.required = True
    actions.add_parser('check', help=policy_check.__doc__).set_defaults(
        func=policy_check)


def _add_commands(subparsers):
    _add_db(subparsers)
    _add_token(subparsers)
    _add_policy(subparsers)


def main(argv=None):
    conf = cfg.ConfigOpts()
    sora_conf.register_opts(conf)
    conf.register_cli_opt(cfg.SubCommandOpt(
        'command', title='Commands', handler=_add_commands))
    conf(sys.argv[1:] if argv is None else argv, project='sora',
         prog='sora-manage', version=sora_api.version())
    # Logs go to stderr so stdout is only the command's output (the token
    # secret is its last line).
    conf.set_default('use_stderr', True)
    logs.apply(conf)
    logging.setup(conf, 'sora')
    try:
        if conf.command.func is policy_check:
            return policy_check(conf, None)
        db = engine.Database(conf)
        if (conf.command.func is not db_sync
                and engine.is_default_sqlite(conf)):
            migration.upgrade(db.engine)
        return conf.command.func(conf, db)
    except exception.SoraException as e:
        print('sora-manage: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
