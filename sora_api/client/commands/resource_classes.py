"""``sora resource-class list|create|delete``: kinds of countable resources."""

from cliff import command
from cliff import lister

from sora_api.client.commands import base

LIST_FIELDS = ('name', 'standard')


class ListResourceClasses(lister.Lister):
    """List every resource class, the standard ones first."""

    def take_action(self, parsed_args):
        classes = self.app.client.resource_classes.list()
        return LIST_FIELDS, [base.row(c, LIST_FIELDS) for c in classes]


class CreateResourceClass(command.Command):
    """Create custom resource classes (admin); existing ones are kept."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('names', metavar='name', nargs='+',
                            help='A class name matching CUSTOM_[A-Z0-9_]+, '
                                 'e.g. CUSTOM_GPU_A100 (repeatable).')
        return parser

    def take_action(self, parsed_args):
        base.for_each(parsed_args.names,
                      self.app.client.resource_classes.create,
                      'create resource class(es)')


class DeleteResourceClass(command.Command):
    """Delete custom resource classes no host has an inventory of (admin)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('names', metavar='name', nargs='+',
                            help='A custom class name (repeatable).')
        return parser

    def take_action(self, parsed_args):
        base.for_each(parsed_args.names,
                      self.app.client.resource_classes.delete,
                      'delete resource class(es)')


COMMANDS = {
    'resource-class list': ListResourceClasses,
    'resource-class create': CreateResourceClass,
    'resource-class delete': DeleteResourceClass,
}
