"""Checks of the placement-policy fields that JSON Schema cannot make.

Each failure is a 400 naming the field, as a schema error does
(``tolerations/0/value``).
"""

from sora_api import exception
from sora_api.api import errors
from sora_api.scheduler import taints as taints_module
from sora_api.scheduler.filters import json_filter


def _invalid(field, reason):
    return errors.invalid('Invalid input for field %s: %s' % (field, reason))


def check_taints(taints, field='taints'):
    """One taint per key and effect, as Kubernetes keeps them."""
    seen = set()
    for index, taint in enumerate(taints):
        pair = (taint['key'], taint['effect'])
        if pair in seen:
            raise _invalid('%s/%d' % (field, index),
                           'the host already has a taint %r with effect '
                           '%s.' % pair)
        seen.add(pair)


def check_tolerations(tolerations):
    """``Exists`` carries no value; without a key the operator is
    ``Exists`` (it then tolerates every taint of its effect)."""
    for index, toleration in enumerate(tolerations):
        operator = toleration.get('operator', taints_module.EQUAL)
        field = 'tolerations/%d' % index
        if operator == taints_module.EXISTS and 'value' in toleration:
            raise _invalid(field + '/value', 'a toleration with operator '
                           'Exists matches any value and carries none.')
        if 'key' not in toleration and operator != taints_module.EXISTS:
            raise _invalid(field + '/key', 'a toleration without a key '
                           'must have operator Exists (it then tolerates '
                           'every taint).')


def check_preferences(preferences, conf):
    """Weights other than 0; queries in the JsonFilter language, within the
    caps of ``hints.query``."""
    options = conf.filter_scheduler
    for index, preference in enumerate(preferences):
        field = 'preferences/%d' % index
        if preference['weight'] == 0:
            raise _invalid(field + '/weight', 'a weight of 0 changes '
                           'nothing; use -100 to 100 other than 0.')
        try:
            json_filter.validate_query(preference['query'],
                                       options.max_query_terms,
                                       options.max_query_string_length)
        except exception.InvalidHint as e:
            reason = e.kwargs['reason'].removeprefix('query: ')
            raise _invalid(field + '/query', reason) from None
