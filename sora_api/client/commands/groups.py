"""``sora group list|show``: a project's groups, where their members are and
whether their policy still holds."""

from cliff import lister

from sora_api.client.commands import base

LIST_FIELDS = ('name', 'policy', 'topology_key', 'max_per_domain',
               'members')
SHOW_FIELDS = ('name', 'policy', 'topology_key', 'max_per_domain',
               'policy_holds', 'largest_domain_share', 'domains', 'members',
               'violations')


class MembersColumn(base.JSONColumn):
    """``schedule_id[index]: host_name (domain)`` per line in tables."""

    def human_readable(self):
        return '\n'.join('%s[%s]: %s (%s)' % (
            m.get('schedule_id'), m.get('instance_index'),
            m.get('host_name'), m.get('domain')) for m in self._value or [])


class ViolationsColumn(base.JSONColumn):
    """One violation's ``detail`` per line in tables."""

    def human_readable(self):
        return '\n'.join('%s: %s' % (v.get('reason'), v.get('detail'))
                         for v in self._value or [])


KINDS = {'domains': base.DictColumn, 'members': MembersColumn,
         'violations': ViolationsColumn}


class ListGroups(lister.Lister):
    """List the project's groups that have live instances (admin:
    --all-projects)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--all-projects', action='store_true',
                            help="Every project's groups (admin).")
        return parser

    def take_action(self, parsed_args):
        groups = self.app.client.groups.list(
            all_projects=parsed_args.all_projects)
        fields = LIST_FIELDS
        if parsed_args.all_projects:
            fields = ('project_id',) + LIST_FIELDS
        return fields, [base.row(g, fields) for g in groups]


class ShowGroup(base.ShowCommand):
    """Show a group's members and domains, and whether its policy holds."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', help='The group name.')
        parser.add_argument('--project', metavar='PROJECT_ID',
                            help="Another project's group (admin).")
        return parser

    def take_action(self, parsed_args):
        group = self.app.client.groups.get(parsed_args.name,
                                           project_id=parsed_args.project)
        return SHOW_FIELDS, base.row(group, SHOW_FIELDS, KINDS)


COMMANDS = {
    'group list': ListGroups,
    'group show': ShowGroup,
}
