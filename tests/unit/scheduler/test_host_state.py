"""HostState: usable and free capacity, consuming an instance, copying."""

import pytest


def test_usable_capacity_applies_ratio_then_subtracts_reserved(make_host):
    host = make_host(vcpus=4, memory_mb=1000, disk_gb=100,
                     cpu_allocation_ratio=16.0, ram_allocation_ratio=1.5,
                     disk_allocation_ratio=2.0, reserved_vcpus=4,
                     reserved_memory_mb=500, reserved_disk_gb=50)
    assert host.usable_vcpus == 60
    assert host.usable_memory_mb == 1000
    assert host.usable_disk_gb == 150


def test_free_capacity_is_usable_minus_used(make_host):
    host = make_host(vcpus=4, memory_mb=2048, disk_gb=10,
                     cpu_allocation_ratio=2.0, vcpus_used=3,
                     memory_mb_used=1024, disk_gb_used=4)
    assert host.free_vcpus == 5
    assert host.free_ram_mb == 1024
    assert host.free_disk_gb == 6
    assert host.free_disk_mb == 6 * 1024


def test_zero_capacity_host_has_nothing_free(make_host):
    host = make_host(vcpus=0, memory_mb=0, disk_gb=0)
    assert (host.free_vcpus, host.free_ram_mb, host.free_disk_gb) == (0, 0, 0)


def test_reserved_beyond_capacity_makes_free_negative(make_host):
    host = make_host(memory_mb=1024, reserved_memory_mb=2048)
    assert host.free_ram_mb == -1024


def test_consume_adds_one_instance_and_one_io_op(make_host, make_spec):
    host = make_host(instances=2, io_ops=1)
    host.consume(make_spec(vcpus=2, memory_mb=1024, disk_gb=20))
    host.consume(make_spec(vcpus=2, memory_mb=1024, disk_gb=20))
    assert (host.vcpus_used, host.memory_mb_used, host.disk_gb_used) == (
        4, 2048, 40)
    assert host.instances == 4
    assert host.io_ops == 3
    assert host.free_ram_mb == 4096 - 2048


def test_copy_is_independent_of_the_original(make_host, make_spec):
    host = make_host(metadata={'tier': 'gold'}, traits=['CUSTOM_SSD'])
    clone = host.copy()
    clone.consume(make_spec())
    clone.metadata['tier'] = 'silver'
    assert host.memory_mb_used == 0 and host.instances == 0
    assert host.metadata == {'tier': 'gold'}
    assert clone.traits == host.traits
    assert (clone.id, clone.name) == (host.id, host.name)


def test_traits_become_a_frozenset_and_metadata_a_dict(make_host):
    host = make_host(traits=['A', 'B', 'A'], metadata=None)
    assert host.traits == frozenset({'A', 'B'})
    assert host.metadata == {}


def test_host_state_has_slots_and_no_instance_dict(make_host):
    host = make_host()
    assert not hasattr(host, '__dict__')
    with pytest.raises(AttributeError):
        host.unknown = 1


def test_keyword_arguments_only(make_host):
    from sora_api.scheduler.host_state import HostState
    with pytest.raises(TypeError):
        HostState('id', 'name', 1, 1, 1)
