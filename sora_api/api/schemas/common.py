"""Schema pieces shared by the resources."""

from sora_api import capacity

# Databases agree on 64-bit integers; keep request numbers well inside them.
MAX_INT = 2 ** 31 - 1

UUID = {'type': 'string',
        'pattern': '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                   '[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'}
# Names are printable: no control characters (PostgreSQL refuses NUL).
NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255,
        'not': {'pattern': '[\\x00-\\x1f\\x7f]'}}
TEXT = {'type': 'string', 'maxLength': 255, 'not': {'pattern': '\\x00'}}
# Host names also refuse C1 controls and the bidirectional formatting
# characters (Unicode Bidi_Control), which reorder how a name is shown and
# make one look like another; they are NFC-normalised after validation.
HOST_NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255,
             'not': {'pattern': '[\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e'
                                '\\u200f\\u202a-\\u202e\\u2066-\\u2069]'}}
COUNT = {'type': 'integer', 'minimum': 0, 'maximum': MAX_INT}
TRAIT = {'type': 'string', 'pattern': '^[A-Z0-9_]{1,255}$'}
TRAITS = {'type': 'array', 'items': TRAIT, 'uniqueItems': True,
          'maxItems': 256}
CUSTOM_CLASS = {'type': 'string', 'pattern': capacity.CUSTOM_PATTERN,
                'maxLength': capacity.MAX_NAME}
# Standard classes by name, as in requests next to their v1 fields.
STANDARD_CLASS_PATTERN = '^(%s)$' % '|'.join(capacity.STANDARD)
METADATA = {'type': 'object', 'maxProperties': 256,
            'propertyNames': NAME,
            'additionalProperties': TEXT}


def one(schema):
    """A query parameter given at most once."""
    return {'type': 'array', 'items': schema, 'maxItems': 1}


BOOLEAN_PARAM = one({'type': 'string', 'enum': ['true', 'false']})
PAGINATION_PARAMS = {
    'limit': one({'type': 'string', 'pattern': '^[1-9][0-9]{0,8}$'}),
    'marker': one(UUID),
}


def query(**params):
    """A query-string schema accepting ``params`` plus limit and marker."""
    properties = dict(PAGINATION_PARAMS, **params)
    return {'type': 'object', 'properties': properties,
            'additionalProperties': False}
