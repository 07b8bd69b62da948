"""``sora``: the command-line client of the Sora API, built on cliff.

    sora host list -f json
    sora schedule create --vcpus 2 --memory-mb 4096 --dry-run
    sora usage show --all-projects

The API URL and token come from ``--os-url``/``--os-token`` or the
environment (``SORA_URL``, ``SORA_TOKEN``).
"""

import os
import sys

from cliff import app
from cliff import commandmanager

from sora_api.client import client as sora_client
from sora_api.client.commands import base
from sora_api.client.commands import groups
from sora_api.client.commands import hosts
from sora_api.client.commands import quotas
from sora_api.client.commands import resource_classes
from sora_api.client.commands import schedules

VERSION = '0.1.0'


class SoraShell(app.App):
    """The ``sora`` application: global options and a lazy API client."""

    def __init__(self):
        # NOTE: commands are registered here rather than through an
        # entry-point namespace so that the CLI works from a source tree
        # without re-installing the package.
        manager = commandmanager.CommandManager('sora.cli')
        for commands in (hosts.COMMANDS, schedules.COMMANDS,
                         resource_classes.COMMANDS, quotas.COMMANDS,
                         groups.COMMANDS):
            for name, cls in commands.items():
                manager.add_command(name, cls)
        super().__init__(description='Command-line client of the Sora API.',
                         version=VERSION, command_manager=manager,
                         deferred_help=True)
        self._client = None

    def build_option_parser(self, description, version,
                            argparse_kwargs=None):
        parser = super().build_option_parser(description, version,
                                             argparse_kwargs)
        parser.add_argument(
            '--os-url', metavar='URL', default=os.environ.get('SORA_URL'),
            help='Base URL of the Sora API, e.g. http://127.0.0.1:8770 '
                 '(default: env SORA_URL).')
        parser.add_argument(
            '--os-token', metavar='TOKEN',
            default=os.environ.get('SORA_TOKEN'),
            help='Token sent as X-Auth-Token (default: env SORA_TOKEN).')
        parser.add_argument(
            '--timeout', metavar='SECONDS', type=float, default=30.0,
            help='Seconds to wait for each answer (default 30).')
        parser.add_argument(
            '--retries', metavar='N', type=base.non_negative, default=3,
            help='Repeat a request that failed harmlessly up to N times '
                 '(default 3).')
        return parser

    @property
    def client(self):
        """The API client, made at first use so --help needs no URL."""
        if self._client is None:
            if not self.options.os_url:
                raise base.CommandFailed(
                    'No API URL: set SORA_URL or pass --os-url.')
            self._client = sora_client.Client(
                self.options.os_url, self.options.os_token,
                timeout=self.options.timeout, retries=self.options.retries)
        return self._client

    def clean_up(self, cmd, result, err):
        if self._client is not None:
            self._client.close()
            self._client = None


def main(argv=None):
    return SoraShell().run(sys.argv[1:] if argv is None else argv)


if __name__ == '__main__':
    sys.exit(main())
