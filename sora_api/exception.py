"""Domain exceptions.

They carry a message and the facts behind it, never an HTTP status: the API
controllers translate them into responses (``sora_api.api.errors``).
"""


class SoraException(Exception):
    """Base of every Sora domain error; ``msg_fmt`` is filled from kwargs."""

    msg_fmt = 'An unknown error occurred.'

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if message is None:
            message = self.msg_fmt % kwargs
        super().__init__(message)

    @property
    def message(self):
        return str(self)


class ConfigurationError(SoraException):
    msg_fmt = 'Invalid configuration: %(reason)s'


class PolicyFileInvalid(ConfigurationError):
    msg_fmt = ('Invalid configuration: policy file %(path)s, line %(line)d: '
               '%(reason)s')


class PluginNotFound(ConfigurationError):
    msg_fmt = ('No %(kind)s named %(names)s in the entry-point namespace '
               '%(namespace)s. Check the option %(option)s and the installed '
               'packages.')


class Forbidden(SoraException):
    msg_fmt = 'Policy does not allow %(action)s to be performed.'


class HostNotFound(SoraException):
    msg_fmt = 'Host %(host_id)s could not be found.'


class HostNameExists(SoraException):
    msg_fmt = 'A host named %(name)s already exists.'


class HostInUse(SoraException):
    msg_fmt = 'Host %(host_id)s has live allocations: %(reason)s'


class GenerationConflict(SoraException):
    msg_fmt = ('Host %(host_id)s is at generation %(actual)s, not the '
               'expected %(expected)s.')


class ScheduleNotFound(SoraException):
    msg_fmt = 'Schedule %(schedule_id)s could not be found.'


class ScheduleGenerationConflict(SoraException):
    msg_fmt = ('Schedule %(schedule_id)s is at generation %(actual)s, not '
               'the expected %(expected)s.')


class ScheduleStatusConflict(SoraException):
    msg_fmt = 'Schedule %(schedule_id)s is %(status)s, not %(expected)s.'


class HoldExpired(SoraException):
    msg_fmt = ('The hold of schedule %(schedule_id)s expired at '
               '%(expires_at)s; its resources were released.')


class GroupNotFound(SoraException):
    msg_fmt = 'Group %(group)s has no live schedule.'


class GroupPolicyConflict(SoraException):
    msg_fmt = ('Group %(group)s has policy %(fixed)s, fixed by its first '
               'live schedule; this request asks %(asked)s.')


class InvalidHint(SoraException):
    msg_fmt = 'Invalid scheduler hint: %(reason)s'


class NoValidHost(SoraException):
    """No host can take the request; ``explanation`` is the filter funnel,
    ``nearest`` the hosts that came closest and ``relaxations`` the single
    changes with which the request would fit (``scheduler.explain``)."""

    msg_fmt = 'No valid host was found. %(reason)s'

    def __init__(self, message=None, explanation=None, nearest=None,
                 relaxations=None, **kwargs):
        kwargs.setdefault('reason', '')
        super().__init__(message, **kwargs)
        self.explanation = list(explanation or [])
        self.nearest = list(nearest or [])
        self.relaxations = list(relaxations or [])


class IdempotencyMismatch(SoraException):
    msg_fmt = ('Idempotency-Key %(key)s was already used with a different '
               'request body.')


class TokenNotFound(SoraException):
    msg_fmt = 'Token %(token_id)s could not be found.'


class DatabaseUnavailable(SoraException):
    msg_fmt = 'The database is unavailable.'


class MarkerNotFound(SoraException):
    msg_fmt = 'Marker %(marker)s could not be found.'


class ClaimConflict(SoraException):
    """A claim lost a race in the database; the request is placed again."""

    msg_fmt = 'Claim lost a race: %(reason)s'


class IdempotencyKeyTaken(SoraException):
    """A concurrent request stored the same Idempotency-Key first."""

    msg_fmt = 'Idempotency-Key %(key)s was stored by a concurrent request.'


class ResourceClassNotFound(SoraException):
    msg_fmt = 'Resource class %(name)s could not be found.'


class ResourceClassInUse(SoraException):
    msg_fmt = ('Resource class %(name)s is in use: %(hosts)d hosts have an '
               'inventory of it.')


class UnknownResourceClass(SoraException):
    """A request or host names a class that was not created (400)."""

    msg_fmt = ('Invalid input for field %(field)s: resource class %(name)s '
               'does not exist; create it with PUT /v1/resource_classes/'
               '%(name)s first.')


class OverQuota(SoraException):
    msg_fmt = ('Quota exceeded for %(resource)s of project %(project_id)s: '
               'limit %(limit)d, usage %(usage)d, asked %(asked)d.')
