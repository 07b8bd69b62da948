"""Register a steady trickle of hosts while a load run goes on.

Issue 16 saw p99 above a second at 100k hosts when hosts had been
registered after start: every worker then catches its host table up (and
allocates) while it serves. A ``Trickle`` keeps that happening during the
schedule run: one ``POST /v1/hosts`` every ``1 / rate`` seconds on its own
keep-alive connection, from a thread, so the load tool runs unchanged.
"""

import http.client
import json
import threading
import time

from benchmarks import fleet


class Trickle(threading.Thread):
    """``rate`` hosts per second named ``<prefix>-<n>`` until ``stop()``."""

    def __init__(self, host, port, token, rate, prefix, first_index,
                 gpu_fraction=0.0):
        super().__init__(daemon=True)
        self.address = (host, port)
        self.token = token
        self.interval = 1.0 / rate
        self.prefix = prefix
        self.index = first_index
        self.gpu_fraction = gpu_fraction
        self.statuses = {}
        self.errors = 0
        self.latencies = []
        self.samples = []
        self._stop_event = threading.Event()

    def run(self):
        conn = None
        due = time.monotonic()
        while not self._stop_event.wait(max(0.0, due - time.monotonic())):
            due += self.interval
            body = json.dumps(fleet.host_body(
                self.index, self.prefix, gpu_fraction=self.gpu_fraction))
            self.index += 1
            started = time.perf_counter()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(*self.address,
                                                      timeout=30)
                conn.request('POST', '/v1/hosts', body, {
                    'Content-Type': 'application/json',
                    'X-Auth-Token': self.token})
                response = conn.getresponse()
                text = response.read()
            except (OSError, http.client.HTTPException) as e:
                self.errors += 1
                if len(self.samples) < 3:
                    self.samples.append(('error', repr(e)))
                if conn is not None:
                    conn.close()
                conn = None
                continue
            self.latencies.append(time.perf_counter() - started)
            status = response.status
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status != 201 and len(self.samples) < 3:
                self.samples.append((status, text[:300].decode(
                    'utf-8', 'replace')))
        if conn is not None:
            conn.close()

    def stop(self):
        """Stop, wait for the request in flight; return the summary."""
        self._stop_event.set()
        self.join(60)
        ordered = sorted(self.latencies)
        p99 = (ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
               * 1000.0 if ordered else None)
        return {'rate': 1.0 / self.interval,
                'hosts_created': self.statuses.get(201, 0),
                'errors': self.errors,
                'non_2xx': sum(n for s, n in self.statuses.items()
                               if not 200 <= s < 300),
                'statuses': dict(self.statuses),
                'p99': p99,
                'samples': self.samples}
