"""HostCache applies what changed and asks again from the newest number."""

import platform
import threading

import pytest

from sora_api import memory
from sora_api.scheduler import host_cache
from sora_api.scheduler import host_table


class _Changes:
    def __init__(self, rows, deleted, seq, reload=False):
        self.rows, self.deleted, self.seq = rows, deleted, seq
        self.reload = reload


def _row(make_host, name, **fields):
    values = host_table._state_values(make_host(name, **fields))
    values['traits'] = list(values['traits'])
    return values


def test_the_cache_catches_up_from_the_last_number_it_saw(make_host):
    feeds = [
        _Changes([_row(make_host, 'a'), _row(make_host, 'b')], [], 5),
        None,
        _Changes([{k: v for k, v in _row(make_host, 'a', vcpus_used=3)
                   .items() if k not in ('traits', 'metadata')}],
                 ['id-b'], 7),
    ]
    asked = []

    def fetch(seq):
        asked.append(seq)
        return feeds.pop(0)

    cache = host_cache.HostCache(fetch)
    assert cache.table().ids == ['id-a', 'id-b']
    assert cache.table().ids == ['id-a', 'id-b']
    table = cache.table()
    assert table.ids == ['id-a']
    assert table.vcpus_used.tolist() == [3]
    assert asked == [-1, 5, 5]


def test_a_request_arriving_during_a_catch_up_takes_what_it_read(make_host):
    reading, release = threading.Event(), threading.Event()
    asked = []

    def fetch(seq):
        asked.append(seq)
        if len(asked) == 1:
            reading.set()
            release.wait(10)
            return _Changes([_row(make_host, 'a')], [], 5)
        return None

    cache = host_cache.HostCache(fetch)
    first = threading.Thread(target=cache.table)
    first.start()
    assert reading.wait(10)
    tables = []
    waiter = threading.Thread(target=lambda: tables.append(cache.table()))
    waiter.start()
    release.set()
    first.join(10)
    waiter.join(10)
    # The second request read nothing itself, and saw the first one's hosts.
    assert asked == [-1]
    assert tables[0].ids == ['id-a']
    # One that lost a claim race reads for itself.
    cache.table(own_read=True)
    assert asked == [-1, 5]


def test_a_reload_replaces_the_table_instead_of_updating_it(make_host):
    feeds = [_Changes([_row(make_host, 'a'), _row(make_host, 'b')], [], 5),
             _Changes([_row(make_host, 'c')], [], 1, reload=True)]
    cache = host_cache.HostCache(lambda seq: feeds.pop(0))
    before = cache.table()
    after = cache.table()
    assert after.ids == ['id-c']
    assert before.ids == ['id-a', 'id-b']


def test_a_claim_in_flight_counts_until_released_across_catch_ups(
        make_host, make_spec):
    feeds = [
        _Changes([_row(make_host, 'a'), _row(make_host, 'b')], [], 5),
        # The database's own change to a (another worker's claim) arrives
        # while the hold is in flight: the hold is counted on top of it.
        _Changes([{k: v for k, v in _row(make_host, 'a', vcpus_used=3,
                                         instances=1).items()
                   if k not in ('traits', 'metadata')}], [], 6),
        None,
    ]
    cache = host_cache.HostCache(lambda seq: feeds.pop(0))
    table = cache.table()
    spec = make_spec(vcpus=2, memory_mb=512, disk_gb=10)
    hold = cache.hold(['id-a', 'id-a', 'id-b'], spec)
    assert table.vcpus_used.tolist() == [4, 2]
    assert table.memory_mb_used.tolist() == [1024, 512]
    assert table.instances.tolist() == [2, 1]
    assert table.free('vcpus').tolist() == [4, 6]
    table = cache.table()
    assert table.vcpus_used.tolist() == [3 + 4, 2]
    assert table.instances.tolist() == [1 + 2, 1]
    cache.release(hold)
    table = cache.table()
    assert table.vcpus_used.tolist() == [3, 0]
    assert table.memory_mb_used.tolist() == [0, 0]
    assert table.instances.tolist() == [1, 0]
    assert table.free('vcpus').tolist() == [5, 8]
    # What the weighers kept learns which rows the hold changed.
    assert table.changes.since(0) is not None


def test_a_hold_on_a_host_deleted_meanwhile_is_dropped_quietly(
        make_host, make_spec):
    feeds = [_Changes([_row(make_host, 'a'), _row(make_host, 'b')], [], 5),
             _Changes([], ['id-a'], 6)]
    cache = host_cache.HostCache(lambda seq: feeds.pop(0))
    cache.table()
    hold = cache.hold(['id-a', 'id-b'], make_spec())
    table = cache.table()
    assert table.ids == ['id-b']
    assert table.vcpus_used.tolist() == [1]
    cache.release(hold)
    assert table.vcpus_used.tolist() == [0]


def _advance(seq, number, host_id):
    # As the change counter's cursor (hosts.cursor_after): a plain number.
    return number if number == seq + 1 else None


def test_a_claim_that_is_the_next_change_stays_as_the_change(
        make_host, make_spec):
    asked = []
    feeds = [_Changes([_row(make_host, 'a'), _row(make_host, 'b')], [], 5),
             None]

    def fetch(seq):
        asked.append(seq)
        return feeds.pop(0)

    cache = host_cache.HostCache(fetch, advance=_advance)
    cache.table()
    hold = cache.hold(['id-a', 'id-a'], make_spec(vcpus=2))
    # The claim committed change 6, the one after the table's 5: the
    # table with the hold is the database now.
    cache.release(hold, change=6)
    table = cache.table()
    assert asked == [-1, 6]
    assert table.vcpus_used.tolist() == [4, 0]
    assert table.instances.tolist() == [2, 0]
    assert table.free('vcpus').tolist() == [4, 8]
    assert cache.holding() == frozenset()


def test_a_claim_after_others_changes_is_given_back_and_read(
        make_host, make_spec):
    asked = []
    feeds = [
        _Changes([_row(make_host, 'a'), _row(make_host, 'b')], [], 5),
        # Change 6 was another worker's, 7 this claim's: both are read.
        _Changes([{k: v for k, v in _row(make_host, n, vcpus_used=u,
                                         instances=1).items()
                   if k not in ('traits', 'metadata')}
                  for n, u in (('a', 2), ('b', 1))], [], 7)]

    def fetch(seq):
        asked.append(seq)
        return feeds.pop(0)

    cache = host_cache.HostCache(fetch, advance=_advance)
    cache.table()
    hold = cache.hold(['id-a'], make_spec(vcpus=2))
    cache.release(hold, change=7)
    table = cache.table()
    assert asked == [-1, 5]
    assert table.vcpus_used.tolist() == [2, 1]
    assert table.instances.tolist() == [1, 1]


def test_a_claim_ending_during_a_catch_up_is_given_back(make_host,
                                                        make_spec):
    reading, release = threading.Event(), threading.Event()
    asked = []

    def fetch(seq):
        asked.append(seq)
        if len(asked) == 2:
            reading.set()
            release.wait(10)
            # Read before the claim committed.
            return _Changes([], [], 5)
        if len(asked) == 1:
            return _Changes([_row(make_host, 'a')], [], 5)
        return _Changes([{k: v for k, v in _row(make_host, 'a',
                                                vcpus_used=2, instances=1)
                          .items() if k not in ('traits', 'metadata')}],
                        [], 6)

    cache = host_cache.HostCache(fetch, advance=_advance)
    cache.table()
    hold = cache.hold(['id-a'], make_spec(vcpus=2))
    reader = threading.Thread(target=lambda: cache.table(own_read=True))
    reader.start()
    assert reading.wait(10)
    cache.release(hold, change=6)
    release.set()
    reader.join(10)
    # The catch-up in flight may have read before the change: the hold
    # was given back, and the change is read.
    assert cache.table(own_read=True).vcpus_used.tolist() == [2]
    assert asked == [-1, 5, 5]


def test_only_a_large_catch_up_gives_memory_back(make_host, monkeypatch):
    monkeypatch.setattr(host_cache, 'TRIM_AFTER_ROWS', 3)
    feeds = [_Changes([_row(make_host, 'a'), _row(make_host, 'b')], [], 5),
             _Changes([_row(make_host, n) for n in 'cde'], [], 6),
             None]
    trims = []
    cache = host_cache.HostCache(lambda seq: feeds.pop(0),
                                 trim=lambda: trims.append(len(feeds)))
    cache.table()
    assert trims == []
    assert len(cache.table()) == 5
    assert trims == [1]
    cache.table()
    assert trims == [1]


@pytest.mark.skipif(platform.libc_ver()[0] != 'glibc',
                    reason='malloc_trim is glibc\'s')
def test_the_heap_is_trimmed_with_glibc():
    assert memory.trim() is True
