"""``sora quota show|set|delete`` and ``sora usage show``."""

from cliff import command

from sora_api.client.commands import base

QUOTA_FIELDS = ('project_id', 'limits', 'usage')
# Usage columns in this order first, then the custom classes by name.
USAGE_FIRST = ('project_id', 'instances', 'VCPU', 'MEMORY_MB', 'DISK_GB')


class UsageColumn(base.DictColumn):
    """A usage inside a quota: its amounts, without the project id."""

    def human_readable(self):
        return base.DictColumn({k: v for k, v in (self._value or {}).items()
                                if k != 'project_id'}).human_readable()


KINDS = {'limits': base.DictColumn, 'usage': UsageColumn}


def usage_table(usages):
    """``(columns, rows)`` of ``usages``: a class a project lacks is 0.

    The columns are the fixed ones, then every other class by name.
    """
    others = set().union(*usages) - set(USAGE_FIRST) if usages else set()
    fields = USAGE_FIRST + tuple(sorted(others))
    return fields, [base.row(dict.fromkeys(fields, 0) | usage, fields)
                    for usage in usages]


def _project(client, project):
    """``project``, else the caller's own project (as the API knows it)."""
    return project or client.usages.get()['project_id']


class ShowQuota(base.ShowCommand):
    """Show a project's limits and usage (default: your project)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', nargs='?',
                            help='Project id (another project: admin).')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client
        quota = client.quotas.get(_project(client, parsed_args.project))
        return QUOTA_FIELDS, base.row(quota, QUOTA_FIELDS, KINDS)


class SetQuota(base.ShowCommand):
    """Replace a project's limits with the ones given (admin).

    A class not given falls back to the server's [quota] default.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', help='Project id.')
        parser.add_argument('--limit', metavar='CLASS=N', dest='limits',
                            action='append', type=base.class_limit,
                            required=True,
                            help='A limit: instances=20, VCPU=64, '
                                 'CUSTOM_GPU_A100=2, ... (-1: unlimited; '
                                 'repeatable).')
        return parser

    def take_action(self, parsed_args):
        limits = base.pairs(parsed_args.limits, 'Limit of')
        quota = self.app.client.quotas.update(parsed_args.project, limits)
        return QUOTA_FIELDS, base.row(quota, QUOTA_FIELDS, KINDS)


class DeleteQuota(command.Command):
    """Drop projects' own limits: back to the defaults (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('projects', metavar='project', nargs='+',
                            help='Project id (repeatable).')
        return parser

    def take_action(self, parsed_args):
        base.for_each(parsed_args.projects, self.app.client.quotas.delete,
                      'delete quota(s)')


class ShowUsage(base.ShowCommand):
    """Show what a project's live schedules hold (default: your project).

    With --all-projects (admin), one row per project.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        which = parser.add_mutually_exclusive_group()
        which.add_argument('--project', metavar='PROJECT',
                           help='Another project\'s usage (admin).')
        which.add_argument('--all-projects', action='store_true',
                           help='Every project\'s usage (admin).')
        return parser

    def take_action(self, parsed_args):
        usages = self.app.client.usages
        if parsed_args.all_projects:
            return usage_table(usages.list())
        fields, (row,) = usage_table([usages.get(parsed_args.project)])
        return fields, row

    def produce_output(self, parsed_args, column_names, data):
        if not parsed_args.all_projects:
            return super().produce_output(parsed_args, column_names, data)
        if not hasattr(self.formatter, 'emit_list'):
            raise base.CommandFailed('-f %s shows one project; use table, '
                                     'json, yaml, value or csv.'
                                     % parsed_args.formatter)
        columns, selector = self._generate_columns_and_selector(
            parsed_args, column_names)
        if selector:
            data = [list(self._compress_iterable(r, selector)) for r in data]
        self.formatter.emit_list(columns, data, self.app.stdout, parsed_args)
        return 0


COMMANDS = {
    'quota show': ShowQuota,
    'quota set': SetQuota,
    'quota delete': DeleteQuota,
    'usage show': ShowUsage,
}
