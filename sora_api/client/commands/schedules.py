"""``sora schedule create|list|show|delete|confirm|move|resize``: place,
change and release instances; ``sora capacity``: how many more fit."""

import argparse
import json

from cliff import command
from cliff import lister

from sora_api.client import exceptions
from sora_api.client import hosts
from sora_api.client.commands import base
from sora_api.client.commands import placement

GROUP_POLICIES = ('affinity', 'anti-affinity', 'soft-affinity',
                  'soft-anti-affinity')
WHEN_UNSATISFIABLE = ('do_not_schedule', 'schedule_anyway')
SHOW_FIELDS = ('id', 'project_id', 'user_id', 'status', 'generation',
               'expires_at', 'resources',
               'num_instances', 'availability_zone', 'required_traits',
               'forbidden_traits', 'metadata', 'tolerations', 'preferences',
               'hints', 'allocations',
               'created_at', 'updated_at')
LIST_FIELDS = ('id', 'project_id', 'status', 'num_instances', 'resources',
               'group', 'hosts', 'created_at')
CANDIDATE_FIELDS = ('rank', 'host_name', 'host_id', 'weight', 'weights')
FUNNEL_FIELDS = ('filter', 'hosts_in', 'hosts_out')
NEAREST_FIELDS = ('host_name', 'host_id', 'failed_filters', 'shortfall')
RELAXATION_FIELDS = ('field', 'to', 'hosts')
CAPACITY_FIELDS = ('instances', 'by_availability_zone', 'limited_by',
                   'quota_remaining')
CAPACITY_KINDS = {'by_availability_zone': base.DictColumn,
                  'limited_by': base.DictColumn}
EXPLAIN_KINDS = {'failed_filters': base.ListColumn,
                 'shortfall': base.DictColumn, 'to': base.JSONColumn}
KINDS = {'resources': base.DictColumn, 'required_traits': base.ListColumn,
         'forbidden_traits': base.ListColumn, 'metadata': base.DictColumn,
         'hints': base.JSONColumn, 'hosts': base.ListColumn,
         'tolerations': base.JSONColumn, 'preferences': base.JSONColumn}
# Hints given by repeatable options: option dest -> hint name.
_LIST_HINTS = {'same_host': 'same_host', 'different_host': 'different_host',
               'ignore_host': 'ignore_hosts', 'force_host': 'force_hosts'}


class AllocationsColumn(base.JSONColumn):
    """``instance_index: host_name`` per line in tables."""

    def human_readable(self):
        return '\n'.join('%s: %s (%s)' % (a.get('instance_index'),
                                          a.get('host_name'),
                                          a.get('host_id'))
                         for a in self._value or [])


class WeightsColumn(base.DictColumn):
    """Each weigher's contribution, rounded for tables."""

    def human_readable(self):
        return ', '.join('%s=%s' % (k, _round(v))
                         for k, v in sorted((self._value or {}).items()))


def _round(value):
    return round(value, 4) if isinstance(value, float) else value


def _show(schedule):
    fields = SHOW_FIELDS + tuple(sorted(set(schedule) - set(SHOW_FIELDS)))
    kinds = dict(KINDS, allocations=AllocationsColumn)
    return fields, base.row(schedule, fields, kinds)


def _list_row(schedule):
    allocations = sorted(schedule.get('allocations') or [],
                         key=lambda a: a.get('instance_index', 0))
    item = dict(schedule,
                group=(schedule.get('hints') or {}).get('group'),
                hosts=[a.get('host_name') for a in allocations])
    return base.row(item, LIST_FIELDS, KINDS)


def positive(text):
    """argparse type of an integer >= 1."""
    value = base.non_negative(text)
    if value < 1:
        raise argparse.ArgumentTypeError('expected an integer >= 1, got %r'
                                         % text)
    return value


def spread(text):
    """argparse type of ``KEY[:MAX_SKEW[:WHEN_UNSATISFIABLE]]``, e.g.
    ``availability_zone:1:schedule_anyway``; the key is checked by the
    server (a metadata key may itself hold a colon)."""
    parts = text.split(':')
    value = {}
    if len(parts) > 1 and parts[-1] in WHEN_UNSATISFIABLE:
        value['when_unsatisfiable'] = parts.pop()
    if len(parts) > 1 and parts[-1].isdigit():
        value['max_skew'] = positive(parts.pop())
    if not parts[0]:
        raise argparse.ArgumentTypeError(
            'expected KEY[:MAX_SKEW[:WHEN_UNSATISFIABLE]], got %r' % text)
    return dict(value, key=':'.join(parts))


def add_resource_options(parser):
    """The options that give the resources of one instance."""
    wanted = parser.add_argument_group('resources per instance')
    wanted.add_argument('--vcpus', metavar='N', type=base.non_negative)
    wanted.add_argument('--memory-mb', metavar='MB', type=base.non_negative)
    wanted.add_argument('--disk-gb', metavar='GB', type=base.non_negative)
    wanted.add_argument('--resource', metavar='CLASS=N', dest='resources',
                        action='append', type=base.class_amount,
                        help='An amount of any resource class, e.g. '
                             'CUSTOM_GPU_A100=1 (repeatable).')


def add_request_options(parser, per_request=True):
    """The options that make up a schedule request (``per_request``
    False: but ``--num-instances`` and ``--hold-seconds``)."""
    add_resource_options(parser)
    if per_request:
        parser.add_argument('--hold-seconds', metavar='SECONDS',
                            type=positive,
                            help='Hold the claim until confirmed (sora '
                                 'schedule confirm) or released after this '
                                 'long.')
        parser.add_argument('--num-instances', metavar='N', type=positive,
                            help='How many instances to place (default 1).')
    parser.add_argument('--availability-zone', metavar='AZ',
                        help='Only hosts of this availability zone.')
    parser.add_argument('--required-trait', metavar='TRAIT',
                        dest='required_traits', action='append',
                        help='Only hosts with this trait (repeatable).')
    parser.add_argument('--forbidden-trait', metavar='TRAIT',
                        dest='forbidden_traits', action='append',
                        help='Only hosts without this trait (repeatable).')
    parser.add_argument('--metadata', metavar='KEY=VALUE', action='append',
                        type=base.key_value,
                        help='Only hosts with this metadata (repeatable).')
    hints = parser.add_argument_group('scheduler hints')
    hints.add_argument('--group', help='Server group of the instances, '
                                       'named within the project.')
    hints.add_argument('--group-policy', choices=GROUP_POLICIES,
                       help='Policy of --group.')
    hints.add_argument('--topology-key', metavar='KEY',
                       dest='group_topology_key',
                       help='Failure domain of --group-policy: host '
                            '(default), availability_zone or '
                            'metadata.<key>.')
    hints.add_argument('--max-per-domain', metavar='N', type=positive,
                       help='With anti-affinity: at most N members of the '
                            'group per domain (default 1).')
    hints.add_argument('--spread', metavar='KEY[:MAX_SKEW[:WHEN]]',
                       type=spread,
                       help='Spread the group (or this request) over the '
                            'domains of KEY, at most MAX_SKEW (default 1) '
                            'above the least loaded; WHEN is '
                            'do_not_schedule (default) or schedule_anyway.')
    hints.add_argument('--same-host', metavar='SCHEDULE_ID',
                       action='append',
                       help='On the hosts of this schedule (repeatable).')
    hints.add_argument('--different-host', metavar='SCHEDULE_ID',
                       action='append',
                       help='Off the hosts of this schedule (repeatable).')
    hints.add_argument('--query', metavar='JSON', type=base.json_value,
                       help='A JsonFilter query, e.g. '
                            '\'[">=", "$free_ram_mb", 1024]\'.')
    hints.add_argument('--ignore-host', metavar='NAME', action='append',
                       help='Never this host (repeatable).')
    hints.add_argument('--force-host', metavar='NAME', action='append',
                       help='Only among these hosts (repeatable).')
    placement.add_request_options(parser)


def resources_from(parsed_args):
    """The resources the options of ``add_resource_options`` give."""
    resources = base.given(parsed_args, ('vcpus', 'memory_mb', 'disk_gb'))
    for name, amount in base.pairs(parsed_args.resources,
                                   'Resource class').items():
        if name in resources:
            raise base.CommandFailed('Resource %s is given twice.' % name)
        resources[name] = amount
    if not resources:
        raise base.CommandFailed('Give at least one of --vcpus, '
                                 '--memory-mb, --disk-gb and --resource.')
    return resources


def request_from(parsed_args):
    """``(resources, options)`` for ``SchedulesManager.create``."""
    resources = resources_from(parsed_args)
    hints = base.given(parsed_args, ('group', 'group_policy',
                                     'group_topology_key', 'max_per_domain',
                                     'spread', 'query'))
    hints.update((hint, getattr(parsed_args, dest))
                 for dest, hint in _LIST_HINTS.items()
                 if getattr(parsed_args, dest))
    options = base.given(parsed_args, (
        'num_instances', 'availability_zone', 'required_traits',
        'forbidden_traits', 'hold_seconds', 'tolerations', 'preferences'))
    if parsed_args.metadata:
        options['metadata'] = dict(parsed_args.metadata)
    if hints:
        options['hints'] = hints
    return resources, options


class CreateSchedule(base.ShowCommand):
    """Place instances on hosts and claim their resources.

    With --dry-run, rank the candidate hosts and show the filter funnel
    instead; nothing is claimed.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_request_options(parser)
        parser.add_argument('--idempotency-key', metavar='KEY',
                            help='Repeating a request with the same key '
                                 'returns the first result (default: a '
                                 'fresh key per command).')
        parser.add_argument('--dry-run', action='store_true',
                            help='Only rank the candidates and show the '
                                 'filter funnel.')
        return parser

    def take_action(self, parsed_args):
        resources, options = request_from(parsed_args)
        schedules = self.app.client.schedules
        if parsed_args.dry_run:
            result = schedules.dry_run(resources, **options)
            names = ('candidates', 'explanation', 'nearest', 'relaxations')
            return names, tuple(result.get(name, []) for name in names)
        try:
            schedule = schedules.create(
                resources, idempotency_key=parsed_args.idempotency_key,
                **options)
        except exceptions.NoValidHost as e:
            self._explain(parsed_args, e)
            raise
        return _show(schedule)

    def _explain(self, parsed_args, error):
        """Before the error line: the nearest hosts and the relaxations,
        as tables (``-f json``: one document of both lists)."""
        if parsed_args.formatter == 'json':
            json.dump({'nearest': error.nearest,
                       'relaxations': error.relaxations}, self.app.stdout)
            self.app.stdout.write('\n')
        elif parsed_args.formatter == 'table':
            self._emit_tables(parsed_args, _explain_tables(
                error.nearest, error.relaxations))

    def produce_output(self, parsed_args, column_names, data):
        if not parsed_args.dry_run or parsed_args.formatter in ('json',
                                                                'yaml',
                                                                'shell'):
            # A machine format gets one document of every list.
            return super().produce_output(parsed_args, column_names, data)
        candidates, funnel, nearest, relaxations = data
        self._emit_tables(parsed_args, (
            ('Candidates, best first:', CANDIDATE_FIELDS,
             [(rank, c.get('host_name'), c.get('host_id'),
               _round(c.get('weight')), WeightsColumn(c.get('weights')))
              for rank, c in enumerate(candidates, 1)]),
            ('Filter funnel:', FUNNEL_FIELDS,
             [base.row(step, FUNNEL_FIELDS) for step in funnel]))
            + _explain_tables(nearest, relaxations))
        return 0

    def _emit_tables(self, parsed_args, tables):
        out = self.app.stdout
        for number, (title, fields, rows) in enumerate(tables):
            if parsed_args.formatter == 'table':
                out.write(('\n' if number else '') + title + '\n')
                if not rows:
                    out.write('(none)\n')
            self.formatter.emit_list(fields, rows, out, parsed_args)


def _explain_tables(nearest, relaxations):
    return (
        ('Nearest hosts:', NEAREST_FIELDS,
         [base.row(host, NEAREST_FIELDS, EXPLAIN_KINDS) for host in nearest]),
        ('Relaxations (one change that would make it fit):',
         RELAXATION_FIELDS,
         [base.row(change, RELAXATION_FIELDS, EXPLAIN_KINDS)
          for change in relaxations]))


class ShowCapacity(base.ShowCommand):
    """How many more instances of this request fit now, per availability
    zone, what runs out first and the project's quota; nothing is claimed.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_request_options(parser, per_request=False)
        return parser

    def take_action(self, parsed_args):
        resources, options = request_from(parsed_args)
        found = self.app.client.schedules.capacity(resources, **options)
        return CAPACITY_FIELDS, base.row(found, CAPACITY_FIELDS,
                                         CAPACITY_KINDS)


class ListSchedules(lister.Lister):
    """List schedules of your project (admin: --all-projects)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--all-projects', action='store_true',
                            help='Every project\'s schedules (admin).')
        parser.add_argument('--status', choices=('active', 'held',
                                                 'expired'),
                            help='Only schedules of this status.')
        parser.add_argument('--host', metavar='HOST',
                            help='Only schedules with an instance on this '
                                 'host (an id, or a name for admins).')
        parser.add_argument('--group', help='Only schedules of this group.')
        parser.add_argument('--limit', metavar='N', type=base.non_negative,
                            help='Page size to ask the server for; every '
                                 'page is listed regardless.')
        return parser

    def take_action(self, parsed_args):
        client = self.app.client
        host_id = parsed_args.host
        if host_id is not None and not hosts.is_uuid(host_id):
            host_id = client.hosts.find(host_id)['id']
        schedules = client.schedules.list(
            all_projects=parsed_args.all_projects, status=parsed_args.status,
            host_id=host_id, group=parsed_args.group,
            limit=parsed_args.limit)
        return LIST_FIELDS, [_list_row(s) for s in schedules]


class ShowSchedule(base.ShowCommand):
    """Show one schedule and its allocations."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('schedule', help='Id of the schedule.')
        return parser

    def take_action(self, parsed_args):
        return _show(self.app.client.schedules.get(parsed_args.schedule))


class DeleteSchedule(command.Command):
    """Delete schedules, releasing every allocation of each."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('schedules', metavar='schedule', nargs='+',
                            help='Id of a schedule (repeatable).')
        return parser

    def take_action(self, parsed_args):
        base.for_each(parsed_args.schedules,
                      self.app.client.schedules.delete,
                      'delete schedule(s)')


class _ScheduleAction(base.ShowCommand):
    """A change of one schedule, conditional with --if-match."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('schedule', help='Id of the schedule.')
        parser.add_argument('--if-match', metavar='GENERATION', type=int,
                            help='Only if the schedule is still at this '
                                 'generation.')
        return parser


class ConfirmSchedule(_ScheduleAction):
    """Confirm a held schedule, so its hold never expires."""

    def take_action(self, parsed_args):
        return _show(self.app.client.schedules.confirm(
            parsed_args.schedule, if_match=parsed_args.if_match))


class MoveSchedule(_ScheduleAction):
    """Move one instance (default: every one) to other hosts."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--instance-index', metavar='N',
                            type=base.non_negative,
                            help='Only this instance.')
        parser.add_argument('--ignore-host', metavar='NAME', action='append',
                            help='Not onto this host (repeatable).')
        return parser

    def take_action(self, parsed_args):
        return _show(self.app.client.schedules.move(
            parsed_args.schedule, instance_index=parsed_args.instance_index,
            ignore_hosts=parsed_args.ignore_host,
            if_match=parsed_args.if_match))


class ResizeSchedule(_ScheduleAction):
    """Give every instance of a schedule new resources."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        add_resource_options(parser)
        return parser

    def take_action(self, parsed_args):
        return _show(self.app.client.schedules.resize(
            parsed_args.schedule, resources_from(parsed_args),
            if_match=parsed_args.if_match))


COMMANDS = {
    'schedule create': CreateSchedule,
    'schedule list': ListSchedules,
    'schedule show': ShowSchedule,
    'schedule delete': DeleteSchedule,
    'schedule confirm': ConfirmSchedule,
    'schedule move': MoveSchedule,
    'schedule resize': ResizeSchedule,
    'capacity': ShowCapacity,
}
