"""HostCache applies what changed and asks again from the newest number."""

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
