"""The scheduler manager under real threads (gunicorn gthread, uWSGI)."""

import threading

import pytest

from sora_api.db import engine
from sora_api.db import hosts as db_hosts
from sora_api.db import migration
from sora_api.scheduler import manager

HOSTS = 2000
NEW_BATCHES = 60
READERS = 3


@pytest.fixture
def db(conf, tmp_path):
    conf.set_override('state_path', str(tmp_path))
    database = engine.Database(conf)
    migration.upgrade(database.engine)
    yield database
    database.engine.dispose()


def _host(name):
    return {'name': name, 'availability_zone': 'nova', 'enabled': True,
            'vcpus': 64, 'memory_mb': 262144, 'disk_gb': 4000,
            'cpu_allocation_ratio': 16.0, 'ram_allocation_ratio': 1.5,
            'disk_allocation_ratio': 1.0, 'traits': ['CUSTOM_SSD'],
            'metadata': {'rack': name[-1]}}


def test_threads_rank_while_hosts_are_registered(conf, db):
    db_hosts.create_many(db, [_host('old-%05d' % i) for i in range(HOSTS)])
    scheduler = manager.SchedulerManager(conf, db)
    scheduler.warm_up()
    request = {'resources': {'vcpus': 1, 'memory_mb': 256}}
    failures, done = [], threading.Event()

    def rank():
        while not done.is_set():
            try:
                scheduler.dry_run('p', request)
            except Exception as e:  # noqa: BLE001 - any error is the bug
                failures.append(repr(e))
                return

    readers = [threading.Thread(target=rank) for _ in range(READERS)]
    for thread in readers:
        thread.start()
    try:
        # Each batch makes the readers' next catch-up grow every column.
        for batch in range(NEW_BATCHES):
            db_hosts.create_many(db, [_host('new-%03d-%d' % (batch, i))
                                      for i in range(5)])
    finally:
        done.set()
        for thread in readers:
            thread.join()
    assert failures == []
    candidates = scheduler.dry_run('p', request)[0]
    assert len(scheduler.host_table()) == HOSTS + 5 * NEW_BATCHES
    assert candidates


def test_every_placement_holds_the_table_lock(conf, db, monkeypatch):
    db_hosts.create_many(db, [_host('host-%d' % i) for i in range(4)])
    scheduler = manager.SchedulerManager(conf, db)
    held = []
    place = scheduler.driver.select_destinations

    def checked(spec, hosts):
        held.append(scheduler._table_lock.locked())
        return place(spec, hosts)

    monkeypatch.setattr(scheduler.driver, 'select_destinations', checked)
    request = {'resources': {'vcpus': 1, 'memory_mb': 256}}
    schedule, _ = scheduler.schedule('p', 'u', request)
    indexes = {a.instance_index for a in schedule.allocations}
    scheduler.plan_move(schedule, indexes)
    scheduler.move(schedule.id, indexes)
    assert held == [True, True, True]
