"""``sora host create|list|show|set|delete|heartbeat|drain`` (admin)."""

from cliff import command
from cliff import lister

from sora_api.client.commands import base
from sora_api.client.commands import placement

SHOW_FIELDS = (
    'id', 'name', 'availability_zone', 'enabled', 'disabled_reason',
    'status', 'vcpus', 'memory_mb', 'disk_gb', 'cpu_allocation_ratio',
    'ram_allocation_ratio', 'disk_allocation_ratio', 'reserved_vcpus',
    'reserved_memory_mb', 'reserved_disk_gb', 'vcpus_used',
    'memory_mb_used', 'disk_gb_used', 'instances', 'io_ops', 'traits',
    'metadata', 'inventories', 'taints', 'projects', 'last_heartbeat',
    'generation', 'created_at', 'updated_at')
LIST_FIELDS = ('id', 'name', 'availability_zone', 'enabled', 'status',
               'vcpus', 'memory_mb', 'disk_gb', 'vcpus_used',
               'memory_mb_used', 'disk_gb_used', 'instances')
LONG_FIELDS = LIST_FIELDS + ('io_ops', 'traits', 'metadata', 'inventories',
                             'taints', 'projects', 'last_heartbeat',
                             'disabled_reason')
# The order an inventory's fields are shown in tables.
_INVENTORY_ORDER = ('total', 'reserved', 'allocation_ratio', 'max_unit',
                    'used')


class InventoriesColumn(base.JSONColumn):
    """``CLASS: total=4, reserved=0, ..., used=1`` per line in tables."""

    def human_readable(self):
        lines = []
        for name, inventory in sorted((self._value or {}).items()):
            values = ('%s=%s' % (k, inventory[k]) for k in _INVENTORY_ORDER
                      if k in inventory)
            lines.append('%s: %s' % (name, ', '.join(values)))
        return '\n'.join(lines)


KINDS = {'traits': base.ListColumn, 'metadata': base.DictColumn,
         'inventories': InventoriesColumn,
         'taints': placement.TaintsColumn, 'projects': base.ListColumn}

_RATIOS = ('cpu_allocation_ratio', 'ram_allocation_ratio',
           'disk_allocation_ratio')
_COUNTS = ('vcpus', 'memory_mb', 'disk_gb', 'reserved_vcpus',
           'reserved_memory_mb', 'reserved_disk_gb', 'io_ops')
_SCALARS = ('name', 'availability_zone', 'disabled_reason') + _RATIOS + \
    _COUNTS


def _show(host):
    fields = SHOW_FIELDS + tuple(sorted(set(host) - set(SHOW_FIELDS)))
    return fields, base.row(host, fields, KINDS)


def _add_field_options(parser, create):
    """The options of the host fields; ``create`` makes capacity required."""
    if not create:
        parser.add_argument('--name', help='New unique name of the host.')
    for name, meta, what in (('vcpus', 'N', 'Physical vCPUs.'),
                             ('memory_mb', 'MB', 'Physical RAM in MiB.'),
                             ('disk_gb', 'GB', 'Physical disk in GiB.')):
        parser.add_argument('--' + name.replace('_', '-'), metavar=meta,
                            type=base.non_negative, required=create,
                            help=what)
    parser.add_argument('--availability-zone', metavar='AZ',
                        help='Availability zone (server default: nova).')
    state = parser.add_mutually_exclusive_group()
    if not create:
        state.add_argument('--enable', dest='enabled', action='store_true',
                           default=None, help='Schedule onto the host.')
    state.add_argument('--disable', dest='enabled', action='store_false',
                       default=None, help='Schedule nothing onto the host.')
    parser.add_argument('--disabled-reason', metavar='TEXT',
                        help='Why the host is disabled.')
    for ratio in _RATIOS:
        parser.add_argument('--' + ratio.replace('_', '-'), metavar='RATIO',
                            type=base.positive_float,
                            help='Overcommit ratio (server default from '
                                 '[scheduler] %s).' % ratio)
    for reserved in ('reserved_vcpus', 'reserved_memory_mb',
                     'reserved_disk_gb', 'io_ops'):
        parser.add_argument('--' + reserved.replace('_', '-'), metavar='N',
                            type=base.non_negative,
                            help='%s (default 0).'
                                 % reserved.replace('_', ' ').capitalize())
    parser.add_argument('--trait', dest='traits', metavar='TRAIT',
                        action='append',
                        help='A trait of the host, e.g. CUSTOM_SSD '
                             '(repeat for more; on "set" the given traits '
                             'replace the host\'s).')
    parser.add_argument('--metadata', metavar='KEY=VALUE', action='append',
                        type=base.key_value,
                        help='Aggregate-style metadata (repeat for more; on '
                             '"set" the given pairs replace the host\'s).')
    parser.add_argument('--inventory', dest='inventories',
                        metavar='CLASS=total=N[,reserved=N,max_unit=N,'
                                'allocation_ratio=R]',
                        action='append', type=base.inventory,
                        help='An inventory of a custom resource class, e.g. '
                             'CUSTOM_GPU_A100=total=4,max_unit=2 '
                             '(CLASS=N is total=N; repeat for more classes; '
                             'on "set" it replaces that class\'s inventory '
                             'and leaves the others).')
    placement.add_host_options(parser)


def _fields(parsed_args):
    """The host fields the options gave, as the API spells them."""
    fields = base.given(parsed_args, _SCALARS + ('enabled', 'traits',
                                                 'taints', 'projects'))
    if parsed_args.metadata is not None:
        fields['metadata'] = dict(parsed_args.metadata)
    inventories = base.pairs(parsed_args.inventories, 'Inventory of')
    for name in getattr(parsed_args, 'remove_inventories', None) or ():
        if name in inventories:
            raise base.CommandFailed('Inventory of %s is both given and '
                                     'removed.' % name)
        inventories[name] = None
    if inventories:
        fields['inventories'] = inventories
    return fields


class CreateHost(base.ShowCommand):
    """Register a compute host."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('name', help='Unique name of the host.')
        _add_field_options(parser, create=True)
        return parser

    def take_action(self, parsed_args):
        fields = _fields(parsed_args)
        host = self.app.client.hosts.create(**fields)
        return _show(host)


class ListHosts(lister.Lister):
    """List hosts, every page of them."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--name', help='Only the host of this name.')
        parser.add_argument('--availability-zone', metavar='AZ',
                            help='Only hosts in this availability zone.')
        state = parser.add_mutually_exclusive_group()
        state.add_argument('--enabled', dest='enabled', action='store_true',
                           default=None, help='Only enabled hosts.')
        state.add_argument('--disabled', dest='enabled',
                           action='store_false', default=None,
                           help='Only disabled hosts.')
        parser.add_argument('--status', choices=('up', 'down'),
                            help='Only hosts of this liveness.')
        parser.add_argument('--trait', dest='traits', metavar='TRAIT',
                            action='append',
                            help='Only hosts with this trait (repeatable).')
        parser.add_argument('--limit', metavar='N', type=base.non_negative,
                            help='Page size to ask the server for; every '
                                 'page is listed regardless.')
        parser.add_argument('--long', action='store_true',
                            help='Also list traits, metadata and liveness.')
        return parser

    def take_action(self, parsed_args):
        hosts = self.app.client.hosts.list(
            name=parsed_args.name,
            availability_zone=parsed_args.availability_zone,
            enabled=parsed_args.enabled, status=parsed_args.status,
            traits=parsed_args.traits, limit=parsed_args.limit)
        fields = LONG_FIELDS if parsed_args.long else LIST_FIELDS
        return fields, [base.row(h, fields, KINDS) for h in hosts]


class ShowHost(base.ShowCommand):
    """Show one host."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('host', help='Name or id of the host.')
        return parser

    def take_action(self, parsed_args):
        return _show(self.app.client.hosts.find(parsed_args.host))


class SetHost(base.ShowCommand):
    """Change fields of a host and show it as it now is."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('host', help='Name or id of the host.')
        _add_field_options(parser, create=False)
        parser.add_argument('--no-trait', action='store_true',
                            help='Remove every trait of the host.')
        parser.add_argument('--no-metadata', action='store_true',
                            help='Remove every metadata pair of the host.')
        parser.add_argument('--no-taint', action='store_true',
                            help='Remove every taint of the host.')
        parser.add_argument('--no-project', action='store_true',
                            help='Dedicate the host to no project: it takes '
                                 'every project again.')
        parser.add_argument('--remove-inventory', metavar='CLASS',
                            dest='remove_inventories', action='append',
                            help='Remove the host\'s inventory of this custom '
                                 'class; refused while instances use it '
                                 '(repeatable).')
        parser.add_argument('--if-match', metavar='GENERATION',
                            help='Change the host only if it is still at '
                                 'this generation.')
        return parser

    def take_action(self, parsed_args):
        fields = _fields(parsed_args)
        if parsed_args.no_trait:
            fields.setdefault('traits', [])
        if parsed_args.no_metadata:
            fields.setdefault('metadata', {})
        if parsed_args.no_taint:
            fields.setdefault('taints', [])
        if parsed_args.no_project:
            fields.setdefault('projects', [])
        if not fields:
            raise base.CommandFailed('Nothing to change: give at least one '
                                     'option (see --help).')
        client = self.app.client
        host = client.hosts.find(parsed_args.host)
        host = client.hosts.update(host['id'], if_match=parsed_args.if_match,
                                   **fields)
        return _show(host)


class DeleteHost(command.Command):
    """Delete hosts; a host with live allocations is refused."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('hosts', metavar='host', nargs='+',
                            help='Name or id of a host (repeatable).')
        return parser

    def take_action(self, parsed_args):
        hosts = self.app.client.hosts

        def delete(name_or_id):
            hosts.delete(hosts.find(name_or_id)['id'])

        base.for_each(parsed_args.hosts, delete, 'delete host(s)')


class HeartbeatHost(command.Command):
    """Report a host alive (and optionally its work in progress)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('host', help='Name or id of the host.')
        parser.add_argument('--io-ops', metavar='N', type=base.non_negative,
                            help='Work in progress on the host.')
        return parser

    def take_action(self, parsed_args):
        hosts = self.app.client.hosts
        host = hosts.find(parsed_args.host)
        hosts.heartbeat(host['id'], io_ops=parsed_args.io_ops)


DRAIN_FIELDS = ('schedule_id', 'instance_index', 'from_host', 'to_host',
                'detail')


class DrainHost(lister.Lister):
    """Disable a host and move every instance off it; one row per
    instance, stuck ones without a to_host and with the reason."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('host', help='Name or id of the host.')
        parser.add_argument('--dry-run', action='store_true',
                            help='Only plan the moves; change nothing.')
        parser.add_argument('--reason', help='disabled_reason of the host '
                                             '(default: draining).')
        return parser

    def take_action(self, parsed_args):
        hosts = self.app.client.hosts
        host = hosts.find(parsed_args.host)
        result = hosts.drain(host['id'], dry_run=parsed_args.dry_run,
                             reason=parsed_args.reason)
        rows = [base.row(m, DRAIN_FIELDS) for m in result['moves']]
        rows += [base.row(dict(s, from_host=host['name']), DRAIN_FIELDS)
                 for s in result['stuck']]
        return DRAIN_FIELDS, rows


COMMANDS = {
    'host drain': DrainHost,
    'host create': CreateHost,
    'host list': ListHosts,
    'host show': ShowHost,
    'host set': SetHost,
    'host delete': DeleteHost,
    'host heartbeat': HeartbeatHost,
}
