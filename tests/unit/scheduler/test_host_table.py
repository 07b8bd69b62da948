"""HostTable: columns of hosts, kept through updates, appends and removals."""

import numpy as np

from sora_api.scheduler import host_table


def test_host_state_round_trips_through_the_table(cases):
    hosts, _ = cases
    table = host_table.HostTable.from_host_states(hosts)
    for i, host in enumerate(hosts):
        again = table.host_state(i)
        for slot in type(host).__slots__:
            assert getattr(again, slot) == getattr(host, slot), slot


def test_update_overwrites_appends_and_remove_drops(make_host):
    a, b = make_host('a'), make_host('b', availability_zone='az1')
    table = host_table.HostTable.from_host_states([a, b])
    assert table.zone_mask('az1').tolist() == [False, True]
    moved = host_table._state_values(make_host('a', availability_zone='az1',
                                               vcpus_used=3))
    new = host_table._state_values(make_host('c', traits=['CUSTOM_SSD']))
    table.update([moved, new])
    assert table.ids == ['id-a', 'id-b', 'id-c']
    assert table.zone_mask('az1').tolist() == [True, True, False]
    assert table.vcpus_used.tolist() == [3, 0, 0]
    assert table.trait_mask('CUSTOM_SSD').tolist() == [False, False, True]
    table.remove(['id-b', 'unknown'])
    assert table.ids == ['id-a', 'id-c']
    assert table.position == {'id-a': 0, 'id-c': 1}
    assert table.trait_mask('CUSTOM_SSD').tolist() == [False, True]


def test_with_own_usage_leaves_the_original_untouched(make_host, make_spec):
    table = host_table.HostTable.from_host_states([make_host('a')])
    copy = table.with_own_usage()
    copy.consume(0, make_spec(vcpus=2, memory_mb=100, disk_gb=1))
    assert copy.vcpus_used.tolist() == [2]
    assert copy.instances.tolist() == [1]
    assert table.vcpus_used.tolist() == [0]
    assert table.instances.tolist() == [0]


def test_liveness_counts_untracked_hosts_as_up():
    up = host_table.liveness([np.nan, 100.0, 50.0], cutoff=60.0)
    assert up.tolist() == [True, True, False]


def _beating(make_host, name, heartbeat):
    row = host_table._state_values(make_host(name))
    row['heartbeat'] = heartbeat
    return row


def test_kept_liveness_turns_a_host_down_exactly_past_its_heartbeat(
        make_host):
    table = host_table.HostTable()
    table.update([_beating(make_host, 'a', 100.0),
                  _beating(make_host, 'b', 50.0),
                  _beating(make_host, 'c', np.nan)])
    assert table.live_at(40.0).tolist() == [True, True, True]
    # At its heartbeat a host is still up; a moment later it is down.
    assert table.live_at(50.0).tolist() == [True, True, True]
    assert table.live_at(50.001).tolist() == [True, False, True]
    assert table.live_at(100.0).tolist() == [True, False, True]
    assert table.live_at(100.5).tolist() == [False, False, True]
    # A heartbeat brings a host back at once, and sets when it goes.
    table.update([_beating(make_host, 'b', 200.0)])
    assert table.live_at(100.5).tolist() == [False, True, True]
    assert table.live_at(200.0).tolist() == [False, True, True]
    assert table.live_at(200.5).tolist() == [False, False, True]
    # A clock that went back sees the hosts as that time would.
    assert table.live_at(99.0).tolist() == [True, True, True]


def test_kept_liveness_is_that_of_every_heartbeat_at_every_cutoff(
        make_host):
    rng = np.random.default_rng(3)
    table = host_table.HostTable()
    table.update([_beating(make_host, 'h%d' % i, float(rng.integers(0, 50)))
                  for i in range(40)])
    cutoff, added = 0.0, 40
    for _ in range(300):
        cutoff += float(rng.choice([0.0, 0.5, 1.0, 3.0, -2.0]))
        rows = [_beating(make_host, table.names[i],
                         float(rng.choice([np.nan, cutoff - 1, cutoff,
                                           cutoff + rng.integers(0, 20)])))
                for i in rng.choice(len(table), rng.integers(0, 4))]
        if rng.random() < 0.05:
            rows.append(_beating(make_host, 'h%d' % added, cutoff + 5))
            added += 1
        table.update(rows)
        if rng.random() < 0.05:
            table.remove([table.ids[0]])
        before = table.live_at(cutoff)
        assert before.tolist() == host_table.liveness(
            table.heartbeat, cutoff).tolist()


def test_kept_liveness_is_never_changed_under_a_view(make_host):
    table = host_table.HostTable()
    table.update([_beating(make_host, 'a', 100.0)])
    held = table.live_at(90.0)
    table.update([_beating(make_host, 'a', 10.0)])
    assert held.tolist() == [True]
    assert table.live_at(90.0).tolist() == [False]


def test_free_follows_consumption_and_updates(make_host, make_spec):
    table = host_table.HostTable.from_host_states(
        [make_host('a', vcpus=8, cpu_allocation_ratio=1.0)])
    assert table.free('vcpus').tolist() == [8.0]
    table.consume(0, make_spec(vcpus=3))
    assert table.free('vcpus').tolist() == [5.0]
    row = host_table._state_values(make_host('a', vcpus=8, vcpus_used=1,
                                             cpu_allocation_ratio=2.0))
    table.update([row])
    assert table.usable('vcpus').tolist() == [16.0]
    assert table.free('vcpus').tolist() == [15.0]


def _gpu(total, used=0):
    return {'total': total, 'reserved': 0, 'allocation_ratio': 1.0,
            'max_unit': total, 'used': used}


def test_custom_classes_are_columns_kept_through_updates(make_host,
                                                         make_spec):
    gpu, fpga = 'CUSTOM_GPU', 'CUSTOM_FPGA'
    table = host_table.HostTable.from_host_states([
        make_host('a'), make_host('b', inventories={gpu: _gpu(4)})])
    assert table.free(gpu).tolist() == [0, 4]
    assert table.max_unit(gpu).tolist() == [0, 4]
    assert table.free('CUSTOM_NOBODY').tolist() == [0, 0]
    # A claim elsewhere, a host gaining a class, a new host, one removed.
    b = host_table._state_values(make_host('b', inventories={
        gpu: _gpu(4, used=3)}))
    a = host_table._state_values(make_host('a', inventories={
        fpga: _gpu(2)}))
    c = host_table._state_values(make_host('c', inventories={
        gpu: _gpu(8)}))
    table.update([a, b, c])
    assert table.free(gpu).tolist() == [0, 1, 8]
    assert table.free(fpga).tolist() == [2, 0, 0]
    table.update([host_table._state_values(make_host('a'))])
    assert table.free(fpga).tolist() == [0, 0, 0]
    assert table.host_state(0).inventories == {}
    table.remove(['id-b'])
    assert table.free(gpu).tolist() == [0, 8]
    # A request's own copy consumes without touching the shared table.
    copy = table.with_own_usage()
    copy.consume(1, make_spec(custom_resources={gpu: 2}))
    assert copy.free(gpu).tolist() == [0, 6]
    assert table.free(gpu).tolist() == [0, 8]
    assert copy.host_state(1).inventories[gpu]['used'] == 2


def test_a_row_without_inventories_keeps_those_the_table_has(make_host):
    gpu = 'CUSTOM_GPU'
    table = host_table.HostTable.from_host_states([
        make_host('a', inventories={gpu: _gpu(4)})])
    usage_only = host_table._state_values(make_host('a', vcpus_used=2))
    del usage_only['inventories']
    table.update([usage_only])
    assert table.free(gpu).tolist() == [4]
    assert table.vcpus_used.tolist() == [2]


def test_free_kept_through_usage_changes_is_free_recomputed(make_host,
                                                            make_spec):
    gpu = 'CUSTOM_GPU'
    hosts = [make_host(f'h{i}', vcpus=8, memory_mb=4096,
                       inventories={gpu: _gpu(4)}) for i in range(4)]
    table = host_table.HostTable.from_host_states(hosts)
    for resource in ('vcpus', 'memory_mb', 'disk_gb', gpu):
        table.free(resource)
    view = table.with_own_usage()
    view.consume(1, make_spec(vcpus=3, custom_resources={gpu: 1}))
    # The request's view sees what it consumed, patched; the worker's
    # table does not (scale: a request never changes the shared table).
    fresh = host_table.HostTable.from_host_states(
        [view.host_state(i) for i in range(4)])
    for resource in ('vcpus', 'memory_mb', 'disk_gb', gpu):
        assert view.free(resource).tolist() == fresh.free(
            resource).tolist(), resource
    assert view.free('vcpus').tolist() == [8.0, 5.0, 8.0, 8.0]
    assert view.free(gpu).tolist() == [4, 3, 4, 4]
    assert table.free('vcpus').tolist() == [8.0, 8.0, 8.0, 8.0]
    assert table.free(gpu).tolist() == [4, 4, 4, 4]
    # Claims seen by the worker's table are patched into its own.
    table.update([dict(host_table._state_values(make_host(
        'h2', vcpus=8, memory_mb=4096, memory_mb_used=1000,
        inventories={gpu: _gpu(4)})), id='id-h2')])
    table.update([{k: v for k, v in host_table._state_values(make_host(
        'h3', vcpus=8, memory_mb=4096, disk_gb_used=7)).items()
        if k not in ('traits', 'metadata', 'inventories')}])
    fresh = host_table.HostTable.from_host_states(
        [table.host_state(i) for i in range(4)])
    for resource in ('vcpus', 'memory_mb', 'disk_gb', gpu):
        assert table.free(resource).tolist() == fresh.free(
            resource).tolist(), resource
    assert table.free('vcpus').tolist() == [8.0, 8.0, 8.0, 8.0]
    assert table.free('memory_mb').tolist() == [4096, 4096, 3096, 4096]
    assert table.free('disk_gb').tolist() == [100, 100, 100, 93]
    assert table.free(gpu).tolist() == [4, 4, 4, 4]


def test_a_claim_on_a_custom_class_keeps_what_capacity_derives(make_host):
    """Only ``used`` changed: usable amounts stay, free is patched; a
    change of capacity (total here) is recomputed."""
    gpu = 'CUSTOM_GPU'
    table = host_table.HostTable.from_host_states([
        make_host(f'h{i}', inventories={gpu: _gpu(4)}) for i in range(3)])
    usable = {r: table.usable(r) for r in ('vcpus', gpu)}
    table.free(gpu)
    table.update([host_table._state_values(make_host(
        'h1', inventories={gpu: _gpu(4, used=3)}))])
    assert all(table.usable(r) is usable[r] for r in usable)
    assert table.free(gpu).tolist() == [4, 1, 4]
    table.update([host_table._state_values(make_host(
        'h2', inventories={gpu: _gpu(8, used=1)}))])
    assert table.usable('vcpus') is usable['vcpus']
    assert table.free(gpu).tolist() == [4, 1, 7]


def test_a_view_consumes_without_touching_the_shared_cached_free(make_host,
                                                                  make_spec):
    gpu = 'CUSTOM_GPU'
    table = host_table.HostTable.from_host_states([
        make_host('a', inventories={gpu: _gpu(4)}), make_host('b')])
    # The worker's table has its free amounts cached; a view shares them.
    shared = {r: table.free(r).tolist() for r in ('memory_mb', 'vcpus', gpu)}
    view = table.with_own_usage()
    assert view.free('memory_mb') is table.free('memory_mb')
    view.consume(0, make_spec(vcpus=2, memory_mb=1024,
                              custom_resources={gpu: 1}))
    view.consume(0, make_spec(vcpus=2, memory_mb=1024,
                              custom_resources={gpu: 1}))
    assert view.free('memory_mb').tolist() == [2048, 4096]
    assert view.free(gpu).tolist() == [2, 0]
    assert {r: table.free(r).tolist() for r in shared} == shared
    assert table.host_state(0).memory_mb_used == 0
    # The view's HostStates are its own too.
    assert view.host_state(0).memory_mb_used == 2048
    assert table.host_state(0) is not view.host_state(0)


def test_taints_and_projects_are_kept_through_updates(make_host):
    gpu = {'key': 'gpu', 'value': 'yes', 'effect': 'NoSchedule'}
    table = host_table.HostTable.from_host_states([
        make_host('a'), make_host('b', taints=[gpu], projects=['p1'])])
    state = table.host_state(1)
    assert [t._asdict() for t in state.taints] == [gpu]
    assert state.projects == {'p1'}
    codes, distinct, _ = table.factorized(('taints',), lambda: table.taints)
    assert len(distinct) == 2
    # A row that leaves them out keeps them; one that gives them replaces.
    b = host_table._state_values(make_host('b', vcpus_used=1))
    del b['taints'], b['projects']
    table.update([b])
    assert table.projects[1] == {'p1'} and len(table.taints[1]) == 1
    a = host_table._state_values(make_host('a', taints=[gpu],
                                           projects=['p2']))
    table.update([a])
    assert table.taints[0] == table.taints[1]
    assert table.projects == [{'p2'}, {'p1'}]
    codes, distinct, _ = table.factorized(('taints',), lambda: table.taints)
    assert codes.tolist() == [0, 0]
    table.remove(['id-a'])
    assert table.projects == [{'p1'}]


def test_spread_keeps_its_last_answer_until_attributes_change(make_host):
    table = host_table.HostTable.from_host_states(
        [make_host('a', availability_zone='az1'),
         make_host('b', availability_zone='az2'),
         make_host('c', availability_zone='az1')])
    codes, distinct, _ = table.factorized(('zones',), lambda: table.zones)
    first = table.spread(('zone',), codes, np.array([5, 7]))
    assert first.tolist() == [5, 7, 5]
    assert table.spread(('zone',), codes, np.array([5, 7])) is first
    assert table.spread(('zone',), codes, np.array([1, 2])).tolist() == [
        1, 2, 1]
    moved = host_table._state_values(make_host('c', availability_zone='az2'))
    table.update([moved])
    codes, distinct, _ = table.factorized(('zones',), lambda: table.zones)
    assert table.spread(('zone',), codes, np.array([1, 2])).tolist() == [
        1, 2, 2]


def test_masks_and_codes_kept_through_new_hosts_are_those_computed_anew(
        make_host):
    def host(i):
        return make_host(f'h{i}', availability_zone=f'az{i % 3}',
                         traits=['SSD'] if i % 2 else [],
                         metadata={'rack': f'r{i % 4}'} if i % 5 else {},
                         taints=[{'key': 'gpu', 'effect': 'NoSchedule'}]
                         if i % 7 == 0 else [],
                         projects=['p'] if i % 6 == 0 else [])

    def derived(table):
        return ([table.zone_mask('az1').tolist(),
                 table.zone_mask('az3').tolist(),
                 table.trait_mask('SSD').tolist(),
                 table.metadata_mask('rack', 'r2').tolist()]
                + [[table.factorized(key, values)[1][c]
                    for c in table.factorized(key, values)[0]]
                   for key, values in (
                       (('zones',), lambda: table.zones),
                       (('taints',), lambda: table.taints),
                       (('projects',), lambda: table.projects),
                       (('metadata', 'rack'),
                        lambda: (m.get('rack') for m in table.metadata)))])

    def amounts(table):
        return [table.usable('memory_mb').tobytes(),
                table.free('vcpus').tobytes(),
                table.free('disk_gb', scale=1024).tobytes(),
                table.free('CUSTOM_GPU').tobytes()]

    table = host_table.as_table([host(i) for i in range(10)])
    derived(table)
    amounts(table)
    table.update([host_table._state_values(host(i)) for i in range(10, 25)]
                 + [host_table._state_values(make_host(
                     'g', memory_mb=2048, vcpus_used=3,
                     inventories={'CUSTOM_GPU': _gpu(4, 1)}))])
    kept = dict(table._masks)
    kept_free = dict(table._free)
    fresh = host_table.as_table(
        [host(i) for i in range(25)]
        + [make_host('g', memory_mb=2048, vcpus_used=3,
                     inventories={'CUSTOM_GPU': _gpu(4, 1)})])
    assert derived(table) == derived(fresh)
    assert amounts(table) == amounts(fresh)
    # Carried over from before the new hosts, not computed again.
    assert ('codes', 'zones') in kept and ('zone', 'az1') in kept
    assert ('vcpus', 1) in kept_free and ('CUSTOM_GPU', 1) in kept_free
