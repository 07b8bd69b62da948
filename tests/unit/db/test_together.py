"""Statements joined for one round trip (PostgreSQL claims)."""

from sora_api.db import models
from sora_api.db import together


def test_insert_names_every_parameter_by_row_and_column():
    sql, params, prepared = together.insert(models.Allocation.__table__, [
        {'schedule_id': 's', 'instance_index': 0, 'host_id': 'h1'},
        {'schedule_id': 's', 'instance_index': 1, 'host_id': 'h2'}], 'a')
    assert sql == (
        'INSERT INTO allocations (schedule_id, instance_index, host_id) '
        'VALUES (%(a0_schedule_id)s, %(a0_instance_index)s, %(a0_host_id)s)'
        ', (%(a1_schedule_id)s, %(a1_instance_index)s, %(a1_host_id)s)')
    assert params == {'a0_schedule_id': 's', 'a0_instance_index': 0,
                      'a0_host_id': 'h1', 'a1_schedule_id': 's',
                      'a1_instance_index': 1, 'a1_host_id': 'h2'}
    assert prepared is None
