"""The eventlet WSGI server: one process, or a parent forking workers.

SIGTERM stops accepting connections, lets in-flight requests finish (up to
``[api] graceful_shutdown_timeout``) and exits 0. With ``[api] workers`` > 1
the parent forks that many workers, each listening on the port with a socket
of its own (``SO_REUSEPORT``), replaces any that dies, and on SIGTERM passes
the signal on and waits for them.
"""

import ctypes
import os
import resource
import signal
import socket
import sys

import eventlet
import greenlet
from oslo_log import log as logging

from sora_api.cmd import http_answer
from sora_api.cmd import http_server

LOG = logging.getLogger(__name__)
_waitpid = eventlet.patcher.original('os').waitpid
_select = eventlet.patcher.original('select').select
_now = eventlet.patcher.original('time').monotonic

# Connections the kernel queues for a listening socket before it accepts.
BACKLOG = 1024


class Server:

    def __init__(self, conf, app, after_fork=None, on_worker_exit=None,
                 on_stop=None):
        self.conf = conf
        self.app = app
        self.after_fork = after_fork
        # Called in the parent with the pid of each worker that exited.
        self.on_worker_exit = on_worker_exit
        # Called in each serving process when it starts shutting down.
        self.on_stop = on_stop
        # Bound, not yet listening: with workers, each listens on a socket
        # of its own (see _fork) and this one only holds the port.
        self.socket = _bind(conf.api.bind_host, conf.api.bind_port)
        self.max_connections = _raise_file_limit(conf.api.max_connections)
        self.host, self.port = self.socket.getsockname()[:2]
        self.children = set()
        self.stopping = False

    def run(self):
        """Serve until SIGTERM or SIGINT; return the exit status."""
        workers = self.conf.api.workers
        LOG.info('Serving on http://%s:%d with %d worker(s)',
                 self.host, self.port, workers)
        if workers == 1:
            self.socket.listen(BACKLOG)
            return self._serve()
        return self._supervise(workers)

    # -- one serving process ------------------------------------------------

    def _serve(self):
        settings = http_server.Settings(self.conf, self.app,
                                        self.socket.getsockname())
        connections = _Connections(settings, self.max_connections)
        acceptor = eventlet.spawn(self._accept, connections)
        signum = wait_for_signal()
        LOG.info('Signal %d: finishing in-flight requests, then exiting',
                 signum)
        if self.on_stop:
            self.on_stop()
        eventlet.spawn_after(self.conf.api.graceful_shutdown_timeout,
                             self._give_up)
        acceptor.kill()
        # NOTE: connections the kernel already queued for us were sent by
        # clients that cannot tell them from in-flight ones: take them
        # before closing, or they would be reset.
        listener = self.socket.fd
        for _ in range(BACKLOG):
            try:
                client, address = listener.accept()
            except OSError:  # BlockingIOError: nothing is left queued
                break
            connections.add(eventlet.greenio.GreenSocket(client), address)
        self.socket.close()
        connections.finish()
        LOG.info('Stopped serving on port %d', self.port)
        return 0

    def _accept(self, connections):
        while True:
            try:
                connections.add(*self.socket.accept())
            except greenlet.GreenletExit:
                raise
            except OSError as e:
                # A client that gave up before we took its connection,
                # or no file descriptor free for now: go on serving.
                LOG.warning('accept() failed: %s', e)
                eventlet.sleep(0.01)

    def _give_up(self):
        LOG.warning('Requests still running after %d s; exiting anyway',
                    self.conf.api.graceful_shutdown_timeout)
        os._exit(1)

    # -- the parent of several workers -------------------------------------

    def _supervise(self, workers):
        # NOTE: the parent only forks and reaps, so it needs no eventlet hub:
        # it blocks in the real waitpid() and a plain signal handler passes
        # SIGTERM on to the workers.
        signal.signal(signal.SIGTERM, self._stop_children)
        signal.signal(signal.SIGINT, self._stop_children)
        for _ in range(workers):
            self._fork()
        # NOTE: the parent's socket never listens: a listening one here
        # would get its share of the connections (SO_REUSEPORT) and reset
        # those it holds when closed, e.g. while the workers start. It
        # stays bound, holding the port for workers that replace others.
        while self.children:
            try:
                pid, status = _waitpid(-1, 0)
            except ChildProcessError:
                break
            if pid not in self.children:
                continue
            self.children.discard(pid)
            if self.on_worker_exit:
                self.on_worker_exit(pid)
            if not self.stopping:
                LOG.warning('Worker %d died (status %d); starting another',
                            pid, status)
                self._fork()
        LOG.info('All workers stopped')
        return 0

    def _fork(self):
        pid = os.fork()
        if pid:
            self.children.add(pid)
            return
        # In the worker: a fresh hub, and signals handled the green way.
        try:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            _term_when_parent_dies()
            eventlet.hubs.use_hub()
            # NOTE: with one shared socket, the first worker to wake takes
            # every waiting connection, and keep-alive clients then stay on
            # it while the other workers idle. A socket per worker on the
            # same port (SO_REUSEPORT) lets the kernel spread connections.
            self.socket.close()
            self.socket = _listen(self.host, self.port)
            if self.after_fork:
                self.after_fork()
            status = self._serve()
        except BaseException:
            LOG.exception('Worker %d failed', os.getpid())
            status = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)

    def _stop_children(self, signum, frame):
        self.stopping = True
        LOG.info('Signal %d: stopping %d worker(s)', signum,
                 len(self.children))
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                self.children.discard(pid)


class _Connections:
    """The open client connections of a worker, and a graceful end to them.

    Past ``capacity`` a new connection is answered 503 at once. On a
    graceful stop, a connection with nothing waiting is closed, and each
    busy one finishes its current request, then closes.
    """

    # A connection that has been quiet for less than this may have its
    # request still on the way; it gets that long before it counts as idle.
    GRACE = 1.0

    def __init__(self, settings, capacity):
        self.settings = settings
        self.capacity = capacity
        self.open = {}

    def add(self, client, address):
        if len(self.open) >= self.capacity:
            http_answer.refuse_when_full(client, self.settings)
            return
        connection = http_server.Connection(client, address, self.settings)
        self.open[id(connection)] = connection
        eventlet.spawn(connection.serve).link(self._closed, connection)

    def _closed(self, _, connection):
        self.open.pop(id(connection), None)
        eventlet.greenio.shutdown_safe(connection.sock)
        connection.sock.close()

    def finish(self):
        """Let busy connections answer, end idle ones; return when none."""
        while self.open:
            for connection in list(self.open.values()):
                if connection.state == http_server.BUSY:
                    connection.closing = True
                elif (not _readable(connection.sock)
                        and _now() - connection.last_active > self.GRACE):
                    # Idle, or a head stalled: no request in flight to lose.
                    connection.closing = True
                    eventlet.greenio.shutdown_safe(connection.sock)
            eventlet.sleep(0.05)


def _term_when_parent_dies():
    """Ask Linux for SIGTERM should the parent die (PR_SET_PDEATHSIG).

    A parent killed with SIGKILL cannot stop its workers; without this they
    would go on serving, unsupervised, on the port.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:
        # The parent died before the request took effect.
        os.kill(os.getpid(), signal.SIGTERM)


_PR_SET_PDEATHSIG = 1


# Descriptors a worker needs besides its client connections: the listening
# socket, database connections, log files, the hub's epoll.
_RESERVED_FILES = 256


def _raise_file_limit(connections):
    """Raise RLIMIT_NOFILE to fit ``connections``; return how many fit."""
    wanted = connections + _RESERVED_FILES
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        if new > soft:
            resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
            LOG.info('Open-file limit raised from %d to %d', soft, new)
            soft = new
    if soft != resource.RLIM_INFINITY and soft < wanted:
        LOG.warning('The open-file limit (hard limit %d) fits only %d '
                    'connections per worker, not [api] max_connections = '
                    '%d; raise the hard limit (ulimit -Hn, LimitNOFILE)',
                    hard, soft - _RESERVED_FILES, connections)
        return max(1, soft - _RESERVED_FILES)
    return connections


def _bind(host, port):
    """A socket bound to ``(host, port)``, shareable by port, not listening.

    Linux hands a new connection only to listening sockets; one bound
    without listening holds the port (port 0: the one the workers take).
    """
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    sock = eventlet.greenio.GreenSocket(
        socket.socket(family, socket.SOCK_STREAM))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # NOTE: without TCP_NODELAY a response written in two parts (headers,
    # then a larger body) waits for the client's delayed ACK, about 40 ms.
    # Linux passes the option on to accepted sockets.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _listen(host, port):
    """A listening socket on the port the parent holds, for one worker."""
    sock = _bind(host, port)
    sock.listen(BACKLOG)
    return sock


def _readable(sock):
    try:
        return bool(_select([sock.fileno()], [], [], 0)[0])
    except (OSError, ValueError):
        return False


def wait_for_signal(signals=(signal.SIGTERM, signal.SIGINT)):
    """Block this green thread until one of ``signals``; return its number.

    NOTE: a Python signal handler runs inside the eventlet hub while it waits
    in epoll, and green threads it schedules wait for the next I/O event.
    Instead, the C-level wakeup fd writes the signal number to a pipe the
    hub watches, which wakes this green thread at once.
    """
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    os.set_blocking(write_fd, False)
    for signum in signals:
        signal.signal(signum, lambda *args: None)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    while True:
        eventlet.hubs.trampoline(read_fd, read=True)
        data = os.read(read_fd, 16)
        for signum in data:
            if signum in signals:
                return signum
