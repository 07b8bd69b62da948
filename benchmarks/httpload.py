"""A small asyncio HTTP/1.1 keep-alive client: bulk requests and a load loop.

It needs nothing outside the standard library, so it runs on any fresh
machine. ``run_all`` sends a bounded list of requests over many concurrent
keep-alive connections (host registration); ``drive`` keeps a fixed number
of connections busy for a bounded time and records every latency (the
fallback load driver when ``wrk`` is not installed, and the CI smoke run).
It speaks only what ``eventlet.wsgi`` answers: ``Content-Length`` or
chunked bodies on persistent connections.
"""

import asyncio
import dataclasses
import json
import time

# No single request may take longer than this; a hang is an error.
REQUEST_TIMEOUT = 30.0


class HTTPError(Exception):
    pass


@dataclasses.dataclass
class Request:
    method: str
    path: str
    body: bytes = b''
    headers: dict = dataclasses.field(default_factory=dict)

    def encode(self, host):
        lines = ['%s %s HTTP/1.1' % (self.method, self.path),
                 'Host: %s' % host, 'Connection: keep-alive']
        for name, value in self.headers.items():
            lines.append('%s: %s' % (name, value))
        if self.body or self.method in ('POST', 'PUT', 'PATCH'):
            lines.append('Content-Length: %d' % len(self.body))
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + self.body


def json_request(method, path, body=None, token=None):
    headers = {'Accept': 'application/json'}
    data = b''
    if body is not None:
        headers['Content-Type'] = 'application/json'
        data = json.dumps(body, separators=(',', ':')).encode('utf-8')
    if token:
        headers['X-Auth-Token'] = token
    return Request(method, path, data, headers)


async def _read_response(reader):
    """Return ``(status, body)`` of one response; raise on a closed socket."""
    status_line = await reader.readline()
    if not status_line:
        raise HTTPError('connection closed by the server')
    parts = status_line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b'HTTP/'):
        raise HTTPError('malformed status line %r' % status_line[:80])
    status = int(parts[1])
    length, chunked, close = None, False, False
    while True:
        line = await reader.readline()
        if line in (b'\r\n', b'\n', b''):
            break
        name, _, value = line.partition(b':')
        name = name.strip().lower()
        value = value.strip().lower()
        if name == b'content-length':
            length = int(value)
        elif name == b'transfer-encoding' and b'chunked' in value:
            chunked = True
        elif name == b'connection' and value == b'close':
            close = True
    if chunked:
        chunks = []
        while True:
            size = int((await reader.readline()).split(b';')[0], 16)
            if size == 0:
                await reader.readline()
                break
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        body = b''.join(chunks)
    elif length is not None:
        body = await reader.readexactly(length)
    else:
        body = await reader.read()
        close = True
    return status, body, close


class _Connection:

    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, request):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port)
        self.writer.write(request.encode('%s:%d' % (self.host, self.port)))
        try:
            status, body, close = await asyncio.wait_for(
                _read_response(self.reader), REQUEST_TIMEOUT)
        except BaseException:
            self.close()
            raise
        if close:
            self.close()
        return status, body

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclasses.dataclass
class Outcome:
    """What a batch or a load run saw."""

    seconds: float = 0.0
    statuses: dict = dataclasses.field(default_factory=dict)
    errors: int = 0          # socket errors, timeouts, malformed answers
    latencies: list = dataclasses.field(default_factory=list)  # seconds
    samples: list = dataclasses.field(default_factory=list)  # bad answers

    @property
    def requests(self):
        return sum(self.statuses.values())

    @property
    def non_2xx(self):
        return sum(n for s, n in self.statuses.items()
                   if not 200 <= s < 300)

    @property
    def rate(self):
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p):
        """The ``p``-th percentile latency in milliseconds (nearest rank)."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, int(round(
            p / 100.0 * len(ordered) + 0.5)) - 1))
        return ordered[index] * 1000.0

    def record(self, status, body, latency):
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)
        if not 200 <= status < 300 and len(self.samples) < 5:
            self.samples.append((status, body[:500]))


async def _worker(conn, next_request, outcome, deadline):
    # Every connection sends at least one request, however late it starts.
    first = True
    while first or time.monotonic() < deadline:
        first = False
        request = next_request()
        if request is None:
            return
        started = time.perf_counter()
        try:
            status, body = await conn.request(request)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError,
                HTTPError, ValueError) as e:
            outcome.errors += 1
            if len(outcome.samples) < 5:
                outcome.samples.append(('error', repr(e)))
            await asyncio.sleep(0.01)
            continue
        outcome.record(status, body, time.perf_counter() - started)
    conn.close()


async def _run(host, port, next_request, connections, seconds):
    outcome = Outcome()
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    conns = [_Connection(host, port) for _ in range(connections)]
    await asyncio.gather(*(_worker(c, next_request, outcome, deadline)
                           for c in conns))
    outcome.seconds = time.perf_counter() - started
    return outcome


def run_all(host, port, requests, connections=64, max_seconds=600):
    """Send every request of the iterable over ``connections`` connections.

    Stops early after ``max_seconds`` (the outcome then counts fewer
    requests than were given).
    """
    iterator = iter(requests)

    def next_request():
        return next(iterator, None)

    return asyncio.run(_run(host, port, next_request, connections,
                            max_seconds))


def drive(host, port, make_request, connections=8, seconds=5.0):
    """Keep ``connections`` connections busy for ``seconds``.

    Each connection sends at least one request, and a request started
    before the deadline is waited for (up to ``REQUEST_TIMEOUT``).

    ``make_request()`` returns the next ``Request``. Latency is measured
    per request from send to the last byte of the answer.
    """
    return asyncio.run(_run(host, port, make_request, connections, seconds))
