"""What the ``sora`` commands share: output columns and argument types."""

import argparse
import json

from cliff import columns
from cliff import show
import stevedore


class ListColumn(columns.FormattableColumn):
    """A list: comma-separated in tables, a list in JSON and YAML."""

    def human_readable(self):
        return ', '.join(str(v) for v in self._value or [])


class DictColumn(columns.FormattableColumn):
    """A mapping: ``k=v, k2=v2`` in tables, an object in JSON and YAML."""

    def human_readable(self):
        return ', '.join('%s=%s' % (k, v)
                         for k, v in sorted((self._value or {}).items()))


class JSONColumn(columns.FormattableColumn):
    """Nested data (hints, allocations) shown as compact JSON in tables."""

    def human_readable(self):
        return json.dumps(self._value, sort_keys=True)


def row(item, fields, kinds=None):
    """The values of ``fields`` of ``item``, wrapped per ``kinds``."""
    kinds = kinds or {}
    return tuple(kinds[f](item.get(f)) if f in kinds else item.get(f)
                 for f in fields)


class ShowCommand(show.ShowOne):
    """ShowOne that also offers ``-f csv`` (a header row and one row)."""

    def _load_formatter_plugins(self):
        # NOTE: cliff gives single-object commands no csv formatter; a
        # one-row csv is still useful to scripts, so the list namespace's
        # csv joins the show formatters.
        shown = stevedore.ExtensionManager('cliff.formatter.show',
                                           invoke_on_load=True)
        listed = stevedore.ExtensionManager('cliff.formatter.list',
                                            invoke_on_load=True)
        extensions = list(shown) + [e for e in listed
                                    if e.name not in shown.names()]
        return stevedore.ExtensionManager.make_test_instance(
            extensions, namespace='cliff.formatter.show')

    def produce_output(self, parsed_args, column_names, data):
        if hasattr(self.formatter, 'emit_one'):
            return super().produce_output(parsed_args, column_names, data)
        columns_to_include, selector = self._generate_columns_and_selector(
            parsed_args, column_names)
        if selector:
            data = list(self._compress_iterable(data, selector))
        self.formatter.emit_list(columns_to_include, [data],
                                 self.app.stdout, parsed_args)
        return 0


def key_value(text):
    """argparse type of ``KEY=VALUE``."""
    key, sep, value = text.partition('=')
    if not sep or not key:
        raise argparse.ArgumentTypeError(
            'expected KEY=VALUE, got %r' % text)
    return key, value


def json_value(text):
    """argparse type of a JSON document."""
    try:
        return json.loads(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError('not valid JSON: %s' % e) from None


def non_negative(text):
    """argparse type of an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(
            'expected an integer >= 0, got %r' % text)
    return value


def positive_float(text):
    """argparse type of a number > 0 (an allocation ratio)."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(
            'expected a number > 0, got %r' % text)
    return value


def class_amount(text):
    """argparse type of ``CLASS=N`` with N >= 0 (an amount asked)."""
    name, value = key_value(text)
    return name, non_negative(value)


def class_limit(text):
    """argparse type of ``CLASS=N`` with N >= -1 (-1: unlimited)."""
    name, value = key_value(text)
    return name, -1 if value.strip() == '-1' else non_negative(value)


# The fields of one inventory and the argparse type of each.
INVENTORY_FIELDS = {'total': non_negative, 'reserved': non_negative,
                    'max_unit': non_negative,
                    'allocation_ratio': positive_float}


def inventory(text):
    """argparse type of ``CLASS=total=N[,reserved=N,max_unit=N,...]``.

    ``CLASS=N`` is short for ``CLASS=total=N``. Returns ``(class, fields)``.
    """
    name, spec = key_value(text)
    if spec.strip().isdigit():
        spec = 'total=' + spec
    fields = {}
    for item in spec.split(','):
        key, value = key_value(item.strip())
        if key not in INVENTORY_FIELDS or key in fields:
            raise argparse.ArgumentTypeError(
                '%r in %r: expected each of %s at most once'
                % (key, text, ', '.join(INVENTORY_FIELDS)))
        fields[key] = INVENTORY_FIELDS[key](value)
    if 'total' not in fields:
        raise argparse.ArgumentTypeError(
            'expected CLASS=total=N[,reserved=N,max_unit=N,'
            'allocation_ratio=R], got %r' % text)
    return name, fields


def pairs(items, what):
    """``dict(items)``, refusing a key given twice (``what`` names them)."""
    found = {}
    for key, value in items or ():
        if key in found:
            raise CommandFailed('%s %s is given twice.' % (what, key))
        found[key] = value
    return found


def given(parsed_args, names):
    """``{name: value}`` of the options among ``names`` that were given
    (a command without one of them gives none)."""
    values = ((n, getattr(parsed_args, n, None)) for n in names)
    return {n: v for n, v in values if v is not None}


class CommandFailed(Exception):
    """A command could not do all it was asked; the message says what."""


def for_each(items, action, what):
    """Apply ``action`` to every item, then report every failure at once.

    Like ``openstack server delete a b``: one failure does not stop the
    others.
    """
    failures = []
    for item in items:
        try:
            action(item)
        except Exception as e:  # noqa: BLE001 - reported below, not lost
            failures.append('%s: %s' % (item, e))
    if failures:
        raise CommandFailed('Failed to %s %d of %d: %s' % (
            what, len(failures), len(items), '; '.join(failures)))
