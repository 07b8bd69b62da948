"""Request and response helpers shared by the controllers."""

import json
import math
import re
import unicodedata
import urllib.parse

import jsonschema
import webob

from sora_api import exception
from sora_api.api import errors


def _strict_integer(checker, instance):
    # JSON Schema counts 2.0 as an integer; Sora's integers must be exact.
    return isinstance(instance, int) and not isinstance(instance, bool)


_TYPE_CHECKER = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    'integer', _strict_integer)
Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, type_checker=_TYPE_CHECKER)


def _reject_constant(name):
    raise ValueError('%s is not valid JSON' % name)


def _finite_float(text):
    # NOTE: 1e400 parses to inf, which every JSON encoder then writes back
    # as the non-JSON "Infinity" (stored in a schedule, it broke every list
    # answer); numbers are refused at the door unless finite.
    value = float(text)
    if not math.isfinite(value):
        raise ValueError('the number %s is out of range' % text[:40])
    return value


def json_body(req, schema, optional=False):
    """The request body parsed as JSON and validated against ``schema``.

    An empty body is ``{}`` when ``optional``. Anything else that is not a
    JSON document matching the schema is a 400.
    """
    try:
        raw = req.body
    except webob.request.DisconnectionError:
        # The client closed its side before sending Content-Length bytes.
        raise errors.invalid('The request body is shorter than its '
                             'Content-Length.') from None
    if not raw.strip():
        if optional:
            return {}
        raise errors.invalid('The request body is empty; a JSON object is '
                             'required.')
    try:
        data = json.loads(raw.decode('utf-8'),
                          parse_constant=_reject_constant,
                          parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise errors.invalid('The request body is not valid JSON: %s'
                             % str(e)[:200]) from None
    _refuse_lone_surrogates(data)
    validate(data, schema)
    return data


def _refuse_lone_surrogates(data):
    # NOTE: JSON lets a string escape half a UTF-16 pair ("\ud800"); Python
    # parses it into a str that no database driver can encode, so it would
    # fail at the INSERT with a 500. Refuse it at the door instead.
    try:
        json.dumps(data, ensure_ascii=False).encode('utf-8')
    except UnicodeEncodeError:
        raise errors.invalid('The request body has a string with a lone '
                             'UTF-16 surrogate escape, which is not '
                             'text.') from None
    except RecursionError:
        raise errors.invalid(
            'The request body is nested too deeply.') from None


# id(schema) -> (schema, validator): schemas are long-lived module or
# controller attributes, and building a validator costs more than using it.
_VALIDATORS = {}


def _validator(schema):
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = _VALIDATORS[id(schema)] = (schema, Validator(schema))
    return cached[1]


def validate(data, schema):
    """Raise a 400 naming the first problem of ``data`` against ``schema``."""
    validator = _validator(schema)
    try:
        if validator.is_valid(data):
            return
        error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    except RecursionError:
        raise errors.invalid(
            'The request body is nested too deeply.') from None
    if error is not None:
        where = '/'.join(str(p) for p in error.absolute_path)
        prefix = ('Invalid input for field %s: ' % where) if where else ''
        raise errors.invalid(prefix + _short(error.message))


def _short(message, limit=300):
    return message if len(message) <= limit else message[:limit] + '...'


def host_name(name):
    """``name`` in Unicode NFC, the one form host names are kept in.

    NOTE: "é" typed composed or as "e" + a combining accent are the same
    name to a person; normalising makes them one name (issue 10).
    """
    normal = unicodedata.normalize('NFC', name)
    if len(normal) > 255:
        raise errors.invalid('Invalid input for field name: %r is longer '
                             'than 255 characters in NFC.' % _short(normal))
    return normal


def query_params(req, schema):
    """Query parameters as ``{name: [values]}`` validated against ``schema``.

    Unknown parameters are refused, as recent OpenStack APIs do, so a typo
    in a filter is a 400 rather than a silently unfiltered list.
    """
    params = {}
    try:
        items = list(req.GET.items())
    except UnicodeDecodeError:
        raise errors.invalid('The query string is not valid UTF-8.') from None
    for name, value in items:
        params.setdefault(name, []).append(value)
    validate(params, schema)
    return params


def uuid_param(params, name):
    """Query parameter ``name`` as an id in the lower case ids are stored in.

    Ids are accepted in any case, in paths as in query strings.
    """
    value = params.get(name, [None])[0]
    return value and value.lower()


# environ key of ``[api] public_endpoint``, set by the router when given.
PUBLIC_ENDPOINT_KEY = 'sora.public_endpoint'


def base_url(req):
    """The URL links and ``Location`` start with: ``[api] public_endpoint``
    when set, else the one the request's ``Host`` header names."""
    return req.environ.get(PUBLIC_ENDPOINT_KEY) or req.application_url


def json_response(body, status=200, headers=None):
    response = webob.Response(
        status=status, content_type='application/json', charset='utf-8',
        body=json.dumps(body).encode('utf-8'))
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def no_content():
    response = webob.Response(status=204)
    del response.content_type
    return response


def page(req, rows, limit, key='id'):
    """Trim ``rows`` (fetched with ``limit + 1``) to a page and its links.

    Returns ``(items, links)``; ``links`` holds a ``next`` link only when
    more rows remain. ``key`` names the attribute (or, for dicts, the item)
    the next page's marker is read from.
    """
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    marker = last[key] if isinstance(last, dict) else getattr(last, key)
    params = [(k, v) for k, v in req.GET.items()
              if k not in ('marker', 'limit')]
    params += [('limit', str(limit)), ('marker', marker)]
    href = (base_url(req) + req.path_info + '?'
            + urllib.parse.urlencode(params))
    return rows, [{'rel': 'next', 'href': href}]


def list_response(collection, items, links):
    """200 with ``{collection: items}``, and ``links`` when there is a
    next page (``page``)."""
    body = {collection: items}
    if links:
        body['links'] = links
    return json_response(body)


def page_of_list(req, items, params, limit, key):
    """``page`` of a whole ordered list held in memory, from after the
    request's ``marker`` (the ``key`` of the last item of the previous
    page)."""
    items = after_marker(items, params.get('marker', [None])[0], key)
    return page(req, items, limit, key=key)


def after_marker(items, marker, key):
    """``items`` (a whole ordered list) after the one whose ``key`` is
    ``marker``; every item when ``marker`` is None. An unknown marker is
    refused as the database-backed lists refuse it (400)."""
    if marker is None:
        return items
    for position, item in enumerate(items):
        if item[key] == marker:
            return items[position + 1:]
    raise exception.MarkerNotFound(marker=marker)


def limit(params, conf):
    """The page size asked for, capped at ``[api] max_limit``."""
    asked = int(params.get('limit', [conf.api.max_limit])[0])
    return min(asked, conf.api.max_limit)


# A generation as an ETag: ASCII digits that fit a BIGINT column. NOTE:
# str.isdigit() also takes other scripts' digits, and int() of more than
# 4300 digits raises, which was a 500; such a tag matches no generation.
_GENERATION_ETAG = re.compile(r'[0-9]{1,18}\Z')


def if_match(req, what):
    """Generations ``If-Match`` allows, or None when it allows any.

    An ETag that is no generation is stale by definition: 412, as a stale
    one (``what`` names the resource in the detail).
    """
    if req.if_match is webob.etag.AnyETag:
        return None
    generations = set()
    for etag in req.if_match.etags:
        if not _GENERATION_ETAG.match(etag):
            raise errors.ApiError(
                412, errors.CONFLICT,
                'If-Match %s is not an ETag of this %s.' % (etag, what))
        generations.add(int(etag))
    return generations
