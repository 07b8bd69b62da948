"""Fuzzed request heads on raw sockets: no hang, 500, HTML or smuggling.

Each case is a request whose head is mutated around its framing headers,
whose body hides a second request, followed by a last, honest request.
Whatever the head, the server answers the first request (or refuses it and
closes) and the last; it never answers the hidden one, never hangs, never
answers 500, and every answer is JSON with a request id.
"""

import collections
import random

import pytest

from tests.functional import rawhttp

CASES = 400
SEED = 20261130

HIDDEN = b'GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n'
LAST = b'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'

# The body as read by Content-Length, or as read chunked: either way a
# reader that takes the other framing finds HIDDEN as a request.
BY_LENGTH = b'0\r\n\r\n' + HIDDEN
BY_CHUNKS = b'%x\r\n%s\r\n0\r\n\r\n' % (len(HIDDEN), HIDDEN)

NAMES = [b'Content-Length', b'content-length', b'CONTENT-LENGTH',
         b'Content-Length ', b' Content-Length', b'Content_Length',
         b'Content-Length\x00', b'Content-\x0bLength']
TE_NAMES = [b'Transfer-Encoding', b'transfer-encoding', b'Transfer-Encoding ',
            b'Transfer_Encoding', b'\tTransfer-Encoding', b'Transfer-Encodin']
TE_VALUES = [b'chunked', b'Chunked', b' chunked', b'chunked ', b'\tchunked',
             b'chunked, chunked', b'gzip, chunked', b'chunked, identity',
             b'xchunked', b'chunked\x00', b'"chunked"', b'ch\x0bunked',
             b'identity', b'chunked;q=1', b',chunked', b'CHUNKED']
LENGTH_FORMS = [b'%d', b'+%d', b'0%d', b'%d ', b' %d', b'%d, %d', b'%d,%d',
                b'0x%x', b'%d.0', b'-%d', b'%d\x00', b'1e%d', b'%d%d']
SEPARATORS = [b':', b': ', b':\t', b' : ', b'::', b':\x0b']
LINE_ENDS = [b'\r\n', b'\n', b'\r', b'\r\r\n', b'\n\r']
REQUEST_LINES = [b'POST / HTTP/1.1', b'POST / HTTP/1.0', b'POST  / HTTP/1.1',
                 b'POST / HTTP/1.1 ', b'POST http://x/ HTTP/1.1',
                 b'POST / HTTP/2.0', b'POST /%00 HTTP/1.1',
                 b'POST * HTTP/1.1', b'POST / http/1.1', b'POST\t/ HTTP/1.1',
                 b'P\x00ST / HTTP/1.1']


def _length_line(rng, length):
    form = rng.choice(LENGTH_FORMS)
    value = form % ((length,) * form.count(b'%'))
    if rng.random() < 0.3:
        value = b'%d' % rng.choice([0, 1, 4, length - 1, length + 1])
    return rng.choice(NAMES) + rng.choice(SEPARATORS) + value


def _coding_line(rng):
    return (rng.choice(TE_NAMES) + rng.choice(SEPARATORS)
            + rng.choice(TE_VALUES))


def _case(rng):
    """The bytes of one case: a mutated request, its body, the last one.

    The head always frames the body honestly (one exact Content-Length,
    or one ``Transfer-Encoding: chunked``); the mutations add lines that
    a lenient reader could take as the framing instead.
    """
    body = rng.choice([BY_LENGTH, BY_CHUNKS])
    honest = (b'Content-Length: %d' % len(body) if body is BY_LENGTH
              else b'Transfer-Encoding: chunked')
    lines = [b'Host: x', honest]
    for _ in range(rng.choice([0, 1, 1, 2])):
        kind = rng.random()
        if kind < 0.45:
            lines.append(_length_line(rng, len(body)))
        elif kind < 0.9:
            lines.append(_coding_line(rng))
        else:
            # Folded onto the line before (obs-fold).
            lines.append(b' ' + _coding_line(rng))
    rng.shuffle(lines)
    if rng.random() < 0.1:
        lines.remove(b'Host: x')
    request_line = (rng.choice(REQUEST_LINES) if rng.random() < 0.3
                    else b'POST / HTTP/1.1')
    end = rng.choice(LINE_ENDS) if rng.random() < 0.2 else b'\r\n'
    head = end.join([request_line] + lines) + end + end
    return head + body + LAST


def _check(data):
    """Check the answers to one case; return their statuses."""
    responses = rawhttp.exchange(SERVER, data, timeout=10)
    assert 1 <= len(responses) <= 2, responses
    for response in responses:
        assert response.status != 500, response
        assert response.status < 500 or response.status in (501, 505)
        body = response.json()  # JSON, whatever the status
        assert 'openapi' not in body, 'the hidden request was answered'
        assert response.headers['x-openstack-request-id'].startswith('req-')
        if response.status >= 400:
            rawhttp.assert_json_error(response, response.status)
    if len(responses) == 2:
        # The first was read whole, then the last, honest one answered.
        assert responses[0].status in (400, 401, 405), responses
        assert 'versions' in responses[1].json()
    return tuple(response.status for response in responses)


SERVER = None


@pytest.fixture
def server(api):
    global SERVER
    SERVER = api
    yield api
    SERVER = None


def test_fuzzed_request_heads_never_hang_500_smuggle_or_answer_non_json(
        server):
    rng = random.Random(SEED)
    outcomes = collections.Counter()
    for number in range(CASES):
        data = _case(rng)
        try:
            outcomes[_check(data)] += 1
        except Exception as e:
            raise AssertionError('case %d (seed %d): %r' % (
                number, SEED, data)) from e
    # The cases reach both sides: heads read whole, and heads refused.
    assert outcomes[(405, 200)] > CASES / 10, outcomes
    assert outcomes[(400,)] > CASES / 10, outcomes
    assert outcomes[(501,)] and outcomes[(505,)], outcomes
