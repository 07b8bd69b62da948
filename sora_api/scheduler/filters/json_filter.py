"""Nova's JsonFilter: a small query language over host attributes.

A query is a JSON list ``[operator, operand, ...]``; an operand is a nested
query, a ``$variable`` naming a host attribute, or a literal string, number
or boolean. For example::

    ["and", [">=", "$free_ram_mb", 1024], ["in", "CUSTOM_SSD", "$traits"]]

The API calls ``validate_query`` before scheduling, so a malformed query is
a 400 with a reason, and evaluating a validated query never raises. It also
caps the query's size (``[filter_scheduler] max_query_terms`` and
``max_query_string_length``): the query runs once per host, so its size
multiplies the cost of every request.
"""

import operator

from oslo_log import log as logging

from sora_api import exception
from sora_api.scheduler import filters

LOG = logging.getLogger(__name__)

MAX_DEPTH = 32

_COMPARISONS = {
    '=': operator.eq,
    '<': operator.lt,
    '>': operator.gt,
    '<=': operator.le,
    '>=': operator.ge,
}
_OPERATORS = ('=', '<', '>', 'in', '<=', '>=', 'not', 'or', 'and')

# Variable name -> HostState attribute. Nova's names are kept as aliases so
# queries written for Nova keep working.
_VARIABLES = {
    'id': 'id',
    'name': 'name',
    'host': 'name',
    'availability_zone': 'availability_zone',
    'enabled': 'enabled',
    'up': 'up',
    'vcpus': 'vcpus',
    'vcpus_total': 'vcpus',
    'vcpus_used': 'vcpus_used',
    'usable_vcpus': 'usable_vcpus',
    'free_vcpus': 'free_vcpus',
    'memory_mb': 'memory_mb',
    'memory_mb_used': 'memory_mb_used',
    'usable_memory_mb': 'usable_memory_mb',
    'total_usable_ram_mb': 'usable_memory_mb',
    'free_ram_mb': 'free_ram_mb',
    'disk_gb': 'disk_gb',
    'disk_gb_used': 'disk_gb_used',
    'usable_disk_gb': 'usable_disk_gb',
    'total_usable_disk_gb': 'usable_disk_gb',
    'free_disk_gb': 'free_disk_gb',
    'free_disk_mb': 'free_disk_mb',
    'cpu_allocation_ratio': 'cpu_allocation_ratio',
    'ram_allocation_ratio': 'ram_allocation_ratio',
    'disk_allocation_ratio': 'disk_allocation_ratio',
    'reserved_vcpus': 'reserved_vcpus',
    'reserved_memory_mb': 'reserved_memory_mb',
    'reserved_disk_gb': 'reserved_disk_gb',
    'instances': 'instances',
    'num_instances': 'instances',
    'io_ops': 'io_ops',
    'num_io_ops': 'io_ops',
    'traits': 'traits',
}
VARIABLES = frozenset(['$' + name for name in _VARIABLES]
                      + ['$metadata.<key>'])


def _invalid(reason, *args):
    return exception.InvalidHint(reason='query: ' + reason % args)


class _Budget:
    """Counts the terms of one query; None caps nothing."""

    def __init__(self, max_terms=None, max_string_length=None):
        self.terms = 0
        self.max_terms = max_terms
        self.max_string_length = max_string_length

    def spend(self, arg):
        self.terms += 1
        if self.max_terms is not None and self.terms > self.max_terms:
            raise _invalid('more than %d terms', self.max_terms)
        if (self.max_string_length is not None and isinstance(arg, str)
                and len(arg) > self.max_string_length):
            raise _invalid('a string of %d characters is longer than %d',
                           len(arg), self.max_string_length)


def _variable(name):
    path = name[1:]
    if path.startswith('metadata.'):
        key = path[len('metadata.'):]
        if not key:
            raise _invalid("%r needs a key, as in '$metadata.tier'", name)
        return lambda host: host.metadata.get(key)
    try:
        return operator.attrgetter(_VARIABLES[path])
    except KeyError:
        raise _invalid('unknown variable %r; known variables are %s',
                       name, ', '.join(sorted(VARIABLES))) from None


def _operand(arg, op, depth, budget):
    budget.spend(arg)
    if isinstance(arg, list):
        return _expression(arg, depth + 1, budget)
    if isinstance(arg, str) and arg.startswith('$'):
        return _variable(arg)
    if isinstance(arg, (str, int, float)):  # bool is an int
        return lambda host: arg
    raise _invalid('operand %r of %r is not a nested query, a string, a '
                   'number or a boolean', arg, op)


def _compare(compare):
    def evaluate(values):
        first = values[0]
        try:
            return all(compare(first, other) for other in values[1:])
        except TypeError:
            # Ordering a string against a number: the host does not match.
            return False
    return evaluate


def _member(values):
    """True when the first value is one of the others, or in one of them
    that is a collection: ``["in", "CUSTOM_SSD", "$traits"]``.
    """
    first = values[0]
    for other in values[1:]:
        if first == other:
            return True
        if isinstance(other, frozenset) and first in other:
            return True
    return False


def _comparison(op, operands):
    test = _member if op == 'in' else _compare(_COMPARISONS[op])

    def evaluate(host):
        # As in Nova, a variable the host lacks (a missing metadata key)
        # drops out, and fewer than two values compare false.
        values = [value for value in (operand(host) for operand in operands)
                  if value is not None]
        return len(values) >= 2 and test(values)
    return evaluate


def _logical(op, operands):
    if op == 'not':
        only = operands[0]
        return lambda host: not only(host)
    combine = all if op == 'and' else any
    return lambda host: combine(operand(host) for operand in operands)


def _check_arity(op, args):
    if op == 'not' and len(args) != 1:
        raise _invalid("'not' takes exactly 1 operand, got %d", len(args))
    if op in ('and', 'or') and not args:
        raise _invalid('%r takes at least 1 operand, got 0', op)
    if op not in ('not', 'and', 'or') and len(args) < 2:
        raise _invalid('%r takes at least 2 operands, got %d', op, len(args))


def _expression(node, depth, budget):
    if depth > MAX_DEPTH:
        raise _invalid('nests deeper than %d levels', MAX_DEPTH)
    if not isinstance(node, list):
        raise _invalid('must be a list such as [">=", "$free_ram_mb", 1024],'
                       ' not %s', type(node).__name__)
    if not node:
        raise _invalid('an empty list is not an expression')
    op, args = node[0], node[1:]
    if not isinstance(op, str) or op not in _OPERATORS:
        raise _invalid('unknown operator %r; use one of %s',
                       op, ', '.join(_OPERATORS))
    _check_arity(op, args)
    operands = [_operand(arg, op, depth, budget) for arg in args]
    if op in ('not', 'and', 'or'):
        return _logical(op, operands)
    return _comparison(op, operands)


def compile_query(query, max_terms=None, max_string_length=None):
    """Turn ``query`` into a function ``host_state -> bool``.

    Raises InvalidHint with the reason when the query is malformed or
    past the caps given; the returned function never raises.
    """
    evaluate = _expression(query, 1, _Budget(max_terms, max_string_length))
    return lambda host: bool(evaluate(host))


def validate_query(query, max_terms=None, max_string_length=None):
    """Raise InvalidHint when ``query`` is not a well-formed query, has
    more than ``max_terms`` operands or a longer string than
    ``max_string_length``."""
    compile_query(query, max_terms, max_string_length)


class JsonFilter(filters.BaseHostFilter):
    """Hosts for which the request's ``query`` hint evaluates true."""

    def applies(self, spec):
        return bool(spec.query)

    def host_passes(self, host_state, spec):
        if not spec.query:
            return True
        return self._passes(compile_query(spec.query), host_state, spec)

    def filter_all(self, hosts, spec):
        if not self.applies(spec):
            return list(hosts)
        # Compile once per request rather than once per host.
        matches = compile_query(spec.query)
        return [host for host in hosts
                if self._passes(matches, host, spec)]

    def _passes(self, matches, host_state, spec):
        if matches(host_state):
            return True
        LOG.debug('%s: host %s does not satisfy the query %s', self.name,
                  host_state.name, spec.query)
        return False
