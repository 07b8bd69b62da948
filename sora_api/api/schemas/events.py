"""Schema of the event feed's query string."""

from sora_api.api.schemas import common

# Digits only: a sign, a space or a fraction is a 400. 18 digits stay
# inside the 64-bit integers every database has.
_NUMBER = common.one({'type': 'string', 'pattern': '^[0-9]{1,18}$'})
MAX_WAIT = 30

list_query = {
    'type': 'object',
    'properties': {'since': _NUMBER, 'limit': _NUMBER, 'wait': _NUMBER},
    'additionalProperties': False,
}
