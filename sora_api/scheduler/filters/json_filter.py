"""Nova's JsonFilter: a small query language over host attributes.

A query is a JSON list ``[operator, operand, ...]``; an operand is a nested
query, a ``$variable`` naming a host attribute, or a literal string, number
or boolean. For example::

    ["and", [">=", "$free_ram_mb", 1024], ["in", "CUSTOM_SSD", "$traits"]]

The API calls ``validate_query`` before scheduling, so a malformed query is
a 400 with a reason, and evaluating a validated query never raises. It also
caps the query's size (``[filter_scheduler] max_query_terms`` and
``max_query_string_length``): each term costs a pass over every host's
column, so the query's size multiplies the cost of every request.
"""

import operator

import numpy as np

from sora_api import exception
from sora_api.scheduler import filters
from sora_api.scheduler import host_table

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
        return lambda table: _coded(table, ('metadata', key), lambda: (
            m.get(key) for m in table.metadata))
    try:
        read = _COLUMNS[_VARIABLES[path]]
    except KeyError:
        raise _invalid('unknown variable %r; known variables are %s',
                       name, ', '.join(sorted(VARIABLES))) from None
    return read


# A query's operands evaluate, over a table, to one of three kinds of value:
# a literal, the same for every host; a numeric (or boolean) array with one
# entry per host; or an object column (names, zones, traits, metadata) as
# integer codes into its distinct values, so that comparing it costs one
# Python comparison per distinct value rather than one per host.
_CONST, _ARRAY, _CODED = 'const', 'array', 'coded'


def _array(read):
    return lambda table: (_ARRAY, read(table))


def _coded(table, key, values):
    return (_CODED,) + table.factorized(key, values)


def _object_column(attribute):
    return lambda table: _coded(table, (attribute,),
                                lambda: getattr(table, attribute))


# HostState attribute -> its value over a table.
_COLUMNS = {
    'id': _object_column('ids'),
    'name': _object_column('names'),
    'availability_zone': _object_column('zones'),
    'traits': _object_column('traits'),
    'enabled': _array(lambda table: table.enabled),
    'up': _array(lambda table: table.up),
    'usable_vcpus': _array(lambda table: table.usable('vcpus')),
    'usable_memory_mb': _array(lambda table: table.usable('memory_mb')),
    'usable_disk_gb': _array(lambda table: table.usable('disk_gb')),
    'free_vcpus': _array(lambda table: table.free('vcpus')),
    'free_ram_mb': _array(lambda table: table.free('memory_mb')),
    'free_disk_gb': _array(lambda table: table.free('disk_gb')),
    'free_disk_mb': _array(lambda table: table.free('disk_gb') * 1024),
}
_COLUMNS.update(
    (column, _array(lambda table, column=column: getattr(table, column)))
    for column in host_table.INT_COLUMNS + host_table.RATIO_COLUMNS)


def _operand(arg, op, depth, budget):
    budget.spend(arg)
    if isinstance(arg, list):
        return _expression(arg, depth + 1, budget)
    if isinstance(arg, str) and arg.startswith('$'):
        return _variable(arg)
    if isinstance(arg, (str, int, float)):  # bool is an int
        value = (_CONST, arg)
        return lambda table: value
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


_SCALAR = dict({op: _compare(compare) for op, compare in _COMPARISONS.items()},
               **{'in': _member})


def _one_host(test):
    """The rule for one host's values, as in Nova: a variable the host
    lacks (a missing metadata key) drops out, and fewer than two values
    compare false."""
    def evaluate(values):
        values = [value for value in values if value is not None]
        return len(values) >= 2 and test(values)
    return evaluate


def _is_number(value):
    return value[0] == _ARRAY or (value[0] == _CONST
                                  and not isinstance(value[1], str))


def _numeric(op, values, count):
    """Literals and numeric arrays, at least one array: no value is
    missing, and a string never equals nor orders against a number."""
    first = values[0]
    result = np.full(count, op != 'in')
    for other in values[1:]:
        if first[0] == other[0] == _CONST:
            matches = _SCALAR[op]([first[1], other[1]])
        elif not (_is_number(first) and _is_number(other)):
            matches = False
        elif op in ('=', 'in'):
            matches = np.equal(first[1], other[1])
        else:
            matches = _COMPARISONS[op](first[1], other[1])
        if op == 'in':
            result |= matches
        else:
            result &= matches
    return result


def _per_value(op, test, values, count):
    """Literals and one object column: the test once per distinct value."""
    coded = next(v for v in values if v[0] == _CODED)
    _, codes, distinct, index = coded
    literal = next(v[1] for v in values if v is not coded)
    if op == '=':
        # NOTE: names and ids are distinct per host; only the value equal
        # to a literal (found by hash) and a missing one (None) can match.
        answers = np.zeros(len(distinct), dtype=bool)
        candidates = {index.get(literal), index.get(None)} - {None}
    else:
        answers = np.empty(len(distinct), dtype=bool)
        candidates = range(len(distinct))
    for code in candidates:
        answers[code] = test([distinct[code] if v is coded else v[1]
                              for v in values])
    return answers[codes] if len(codes) else np.zeros(count, dtype=bool)


def _per_host(test, values, count):
    """Anything else (rare): the test host by host."""
    columns = [_host_values(value, count) for value in values]
    return np.fromiter((test(list(row)) for row in zip(*columns)),
                       dtype=bool, count=count)


def _host_values(value, count):
    if value[0] == _CONST:
        return [value[1]] * count
    if value[0] == _ARRAY:
        return value[1].tolist()
    _, codes, distinct, _ = value
    return [distinct[c] for c in codes]


def _comparison(op, operands):
    test = _one_host(_SCALAR[op])

    def evaluate(table):
        values = [operand(table) for operand in operands]
        count = len(table)
        kinds = [value[0] for value in values]
        if _CODED not in kinds:
            if _ARRAY not in kinds:
                answer = test([value[1] for value in values])
                return _ARRAY, np.full(count, answer)
            return _ARRAY, _numeric(op, values, count)
        if kinds.count(_CODED) == 1 and _ARRAY not in kinds:
            return _ARRAY, _per_value(op, test, values, count)
        return _ARRAY, _per_host(test, values, count)
    return evaluate


def _truth(value, count):
    """Each host's truthiness of ``value``, as a boolean array."""
    if value[0] == _CONST:
        return np.full(count, bool(value[1]))
    if value[0] == _ARRAY:
        return value[1].astype(bool)
    _, codes, distinct, _ = value
    answers = np.array([bool(d) for d in distinct], dtype=bool)
    return answers[codes] if len(codes) else np.zeros(count, dtype=bool)


def _logical(op, operands):
    def evaluate(table):
        count = len(table)
        truths = [_truth(operand(table), count) for operand in operands]
        if op == 'not':
            return _ARRAY, ~truths[0]
        combine = np.logical_and if op == 'and' else np.logical_or
        return _ARRAY, combine.reduce(truths, axis=0)
    return evaluate


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
    """Turn ``query`` into a function ``HostTable -> boolean array``.

    Raises InvalidHint with the reason when the query is malformed or
    past the caps given; the returned function never raises. It reads the
    table's columns, so one evaluation answers for every host.
    """
    evaluate = _expression(query, 1, _Budget(max_terms, max_string_length))
    return lambda table: _truth(evaluate(table), len(table))


def validate_query(query, max_terms=None, max_string_length=None):
    """Raise InvalidHint when ``query`` is not a well-formed query, has
    more than ``max_terms`` operands or a longer string than
    ``max_string_length``."""
    compile_query(query, max_terms, max_string_length)


class JsonFilter(filters.BaseHostFilter):
    """Hosts for which the request's ``query`` hint evaluates true."""

    reads = ('query',)

    def applies(self, spec):
        return bool(spec.query)

    def filter_mask(self, table, alive, spec):
        return compile_query(spec.query)(table)

    def explain(self, table, row, spec):
        return f'does not satisfy the query {spec.query}'
