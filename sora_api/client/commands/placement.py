"""Options of the placement policies: ``--taint``, ``--project``,
``--toleration`` and ``--prefer``, and how tables show them."""

import argparse
import json

from sora_api.client.commands import base

EFFECTS = ('NoSchedule', 'PreferNoSchedule')
# A toleration's key that stands for every key (``Exists`` without a key).
ANY_KEY = '*'


def _effect(text, spec):
    if text not in EFFECTS:
        raise argparse.ArgumentTypeError(
            'the effect of %r must be one of %s' % (spec, ', '.join(EFFECTS)))
    return text


def taint(text):
    """argparse type of ``KEY[=VALUE]:EFFECT``: a host's taint."""
    rest, sep, effect = text.rpartition(':')
    if not sep:
        raise argparse.ArgumentTypeError(
            'expected KEY[=VALUE]:EFFECT, got %r' % text)
    key, has_value, value = rest.partition('=')
    if not key:
        raise argparse.ArgumentTypeError('a taint needs a key: %r' % text)
    found = {'key': key, 'effect': _effect(effect, text)}
    if has_value:
        found['value'] = value
    return found


def toleration(text):
    """argparse type of a toleration: ``KEY=VALUE[:EFFECT]`` (operator
    Equal), ``KEY[:EFFECT]`` (Exists: any value), ``*[:EFFECT]`` (every
    taint)."""
    rest, sep, effect = text.partition(':')
    key, equal, value = rest.partition('=')
    if not key:
        raise argparse.ArgumentTypeError(
            'expected KEY=VALUE[:EFFECT], KEY[:EFFECT] or *[:EFFECT], got %r'
            % text)
    if equal:
        if key == ANY_KEY:
            raise argparse.ArgumentTypeError(
                '* tolerates any value; it takes none: %r' % text)
        found = {'key': key, 'operator': 'Equal', 'value': value}
    else:
        found = {'operator': 'Exists'}
        if key != ANY_KEY:
            found['key'] = key
    if sep:
        found['effect'] = _effect(effect, text)
    return found


def preference(text):
    """argparse type of ``WEIGHT:QUERY`` (QUERY in JSON): a soft wish."""
    weight, sep, query = text.partition(':')
    try:
        weight = int(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(
            'expected WEIGHT:QUERY with an integer weight, got %r'
            % text) from None
    if not sep:
        raise argparse.ArgumentTypeError(
            'expected WEIGHT:QUERY, got %r' % text)
    try:
        query = json.loads(query)
    except ValueError as e:
        raise argparse.ArgumentTypeError(
            'the query of %r is not valid JSON: %s' % (text, e)) from None
    return {'weight': weight, 'query': query}


def add_host_options(parser):
    """``--taint`` and ``--project`` of ``host create`` and ``host set``."""
    parser.add_argument('--taint', dest='taints', metavar='KEY[=VALUE]:EFFECT',
                        action='append', type=taint,
                        help='A taint of the host, e.g. gpu=yes:NoSchedule '
                             '(effect NoSchedule or PreferNoSchedule; '
                             'repeat for more; on "set" the given taints '
                             'replace the host\'s).')
    parser.add_argument('--project', dest='projects', metavar='PROJECT',
                        action='append',
                        help='Dedicate the host to this project (repeat for '
                             'more; none: every project; on "set" the given '
                             'projects replace the host\'s).')


def add_request_options(parser):
    """``--toleration`` and ``--prefer`` of a schedule request."""
    group = parser.add_argument_group('placement policies')
    group.add_argument('--toleration', dest='tolerations',
                       metavar='KEY=VALUE[:EFFECT]|KEY[:EFFECT]|*[:EFFECT]',
                       action='append', type=toleration,
                       help='Tolerate matching host taints: KEY=VALUE '
                            '(operator Equal), KEY (Exists: any value), * '
                            '(every taint); no EFFECT tolerates both '
                            '(repeatable).')
    group.add_argument('--prefer', dest='preferences', metavar='WEIGHT:QUERY',
                       action='append', type=preference,
                       help='Prefer (weight 1..100) or avoid (-100..-1) the '
                            'hosts a JsonFilter query matches, e.g. '
                            '\'50:["=", "$metadata.tier", "gold"]\' '
                            '(repeatable).')


class TaintsColumn(base.JSONColumn):
    """``KEY=VALUE:EFFECT`` per taint in tables."""

    def human_readable(self):
        return ', '.join('%s=%s:%s' % (t.get('key'), t.get('value', ''),
                                       t.get('effect'))
                         for t in self._value or [])
