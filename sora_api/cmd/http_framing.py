"""Strict request-head checks that h11 leaves to the server (RFC 9112)."""

import re

# Header lines per request, as Python's http.client allows.
MAX_HEADERS = 100

_END_OF_HEAD = re.compile(rb'\n\r?\n')
_HOST = re.compile(
    rb"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]*)(:[0-9]*)?")


class HttpError(Exception):
    """An answer the HTTP layer gives itself, then closes the connection."""

    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def end_of_head(raw):
    """The length of the head at the start of ``raw``, or None if partial."""
    match = _END_OF_HEAD.search(raw)
    return match.end() if match else None


def check_partial_head(raw, max_line, max_head):
    """Refuse a head still arriving that is already too long."""
    if b'\n' not in raw and len(raw) > max_line:
        raise HttpError(414, 'The request line is longer than %d bytes.'
                        % max_line)
    if len(raw) > max_head:
        raise HttpError(431, 'The request head is larger than %d bytes.'
                        % max_head)


def check_head(head, max_line, max_head):
    """Refuse what h11 accepts or answers imprecisely in a complete head.

    NOTE: a request whose length two parties can read differently is how
    requests are smuggled past a proxy, so anything ambiguous about the
    body's framing is refused, and the connection is closed after it.
    """
    if len(head) > max_head:
        raise HttpError(431, 'The request head is larger than %d bytes.'
                        % max_head)
    lines = [line[:-1] if line.endswith(b'\r') else line
             for line in head.split(b'\n')]
    while lines and not lines[-1]:
        lines.pop()
    if len(lines[0]) > max_line:
        raise HttpError(414, 'The request line is longer than %d bytes.'
                        % max_line)
    fields = lines[1:]
    if len(fields) > MAX_HEADERS:
        raise HttpError(431, 'The request has more than %d header lines.'
                        % MAX_HEADERS)
    lengths, codings = [], []
    for line in fields:
        if len(line) > max_line:
            raise HttpError(431, 'A header line is longer than %d bytes.'
                            % max_line)
        if line[:1] in (b' ', b'\t'):
            raise HttpError(400, 'Header lines folded over several lines '
                                 '(obs-fold) are not accepted.')
        name, _, value = line.partition(b':')
        name = name.lower()
        if name == b'content-length':
            lengths.append(value.strip(b' \t'))
        elif name == b'transfer-encoding':
            codings += [c.strip(b' \t').lower() for c in value.split(b',')]
    _check_framing(lines[0], lengths, codings)


def _check_framing(request_line, lengths, codings):
    if len(lengths) > 1:
        raise HttpError(400, 'The request has more than one Content-Length.')
    if lengths and not (lengths[0].isdigit() and len(lengths[0]) <= 18):
        raise HttpError(400, 'The Content-Length is not a decimal number.')
    if not codings:
        return
    if lengths:
        raise HttpError(400, 'The request has both Content-Length and '
                             'Transfer-Encoding.')
    if request_line.endswith(b'HTTP/1.0'):
        raise HttpError(400, 'HTTP/1.0 has no Transfer-Encoding.')
    if b'' in codings or b'chunked' in codings[:-1]:
        raise HttpError(400, 'The Transfer-Encoding must end with a single '
                             'chunked.')
    if codings != [b'chunked']:
        raise HttpError(501, 'The only transfer coding accepted is a '
                             'single chunked.')


def check_request(request):
    """Refuse a parsed head's version or Host that h11 let through."""
    if request.http_version not in (b'1.0', b'1.1'):
        raise HttpError(505, 'Only HTTP/1.0 and HTTP/1.1 are served.')
    for name, value in request.headers:
        if name == b'host' and not _HOST.fullmatch(value):
            raise HttpError(400, 'The Host header is not a host name or '
                                 'address with an optional port.')
