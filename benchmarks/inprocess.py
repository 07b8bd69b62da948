"""In-process time of one filter-and-weigh pass, without HTTP.

It goes through the same public entry points the API uses:
``SchedulerManager(conf, db)``, ``host_table()`` (the worker's cached
``HostTable``: loaded in full the first time, then caught up with what
changed), ``build_spec()`` and the driver's ``select_destinations`` /
``rank``. Run it against the benchmark's own database once the server has
stopped, so no load competes for the CPU.
"""

import statistics
import time

from benchmarks import fleet
from sora_api.db import engine
from sora_api.scheduler import manager as scheduler_manager

PROJECT = 'bench-inprocess'


def _timed(fn, repetitions, budget):
    """Median, min and count of ``fn()`` wall times in ms, within budget."""
    times = []
    deadline = time.monotonic() + budget
    for _ in range(repetitions):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000.0)
        if time.monotonic() > deadline:
            break
    return {'median_ms': statistics.median(times), 'min_ms': min(times),
            'runs': len(times)}


def measure(conf, repetitions=20, budget=30.0):
    """Time ``host_table()`` (cold, then warm), ``select_destinations``
    and ``rank``.

    Returns a dict of the three timings (and the host count seen), or
    ``{'error': text}`` when an interface it relies on has changed.
    """
    db = engine.Database(conf)
    try:
        manager = scheduler_manager.SchedulerManager(conf, db)
        request = fleet.schedule_body()
        result = {}
        started = time.perf_counter()
        table = manager.host_table()
        cold = (time.perf_counter() - started) * 1000.0
        result['hosts_seen'] = len(table)
        result['host_table_cold'] = {'median_ms': cold, 'min_ms': cold,
                                     'runs': 1}
        result['host_table'] = _timed(manager.host_table, repetitions,
                                      budget)
        driver = manager.driver
        limit = conf.filter_scheduler.max_dry_run_candidates

        def select():
            spec, _ = manager.build_spec(PROJECT, request)
            driver.select_destinations(spec, manager.host_table())

        spec, _ = manager.build_spec(PROJECT, request)
        result['select_destinations'] = _timed(select, repetitions, budget)
        result['rank'] = _timed(lambda: driver.rank(spec, table, limit),
                                repetitions, budget)
        return result
    except Exception as e:  # noqa: BLE001 - report, do not abort the run
        return {'error': '%s: %s' % (type(e).__name__, e)}
    finally:
        db.engine.dispose()
