"""Draining a host: disable it, then move every instance off it.

Each schedule is moved as ``move`` moves it (its own request, its group
policy, one transaction per schedule); what fits nowhere is reported stuck
and stays. A claim or move puts instances only on an enabled host, checked
on the host row the disable updates, so once the host is disabled the
schedules listed on it are all there will ever be: one pass moves them.
"""

from sora_api import exception
from sora_api.db import hosts as db_hosts
from sora_api.db import schedules as db_schedules

_PAGE = 1000


def drain(manager, host_id, reason, dry_run=False):
    """``(moves, stuck)``: the instances moved off the host (planned, with
    ``dry_run``, which changes nothing) and those that fit nowhere."""
    db = manager.db
    db_hosts.get(db, host_id)
    if not dry_run:
        db_hosts.update(db, host_id, {'enabled': False,
                                      'disabled_reason': reason})
    moved, stuck = [], []
    for schedule in _schedules_on(db, host_id):
        indexes = {a.instance_index for a in schedule.allocations
                   if a.host_id == host_id}
        _drain_one(manager, schedule, host_id, indexes, dry_run, moved,
                   stuck)
    return moved, stuck


def _drain_one(manager, schedule, host_id, indexes, dry_run, moved, stuck):
    source = next(a.host_name for a in schedule.allocations
                  if a.host_id == host_id)
    try:
        if dry_run:
            targets = manager.plan_move(schedule, indexes)
        else:
            # The schedule as listed: a move of one changed since is a
            # lost race, and its next attempt reads it again.
            after = manager.move(schedule.id, indexes, read=schedule)
            targets = {a.instance_index: a.host_name
                       for a in after.allocations
                       if a.instance_index in indexes}
    except exception.ScheduleNotFound:
        return  # deleted meanwhile: nothing left to move
    except (exception.NoValidHost, exception.ScheduleStatusConflict) as e:
        stuck.extend({'schedule_id': schedule.id, 'instance_index': i,
                      'detail': e.message} for i in sorted(indexes))
        return
    moved.extend({'schedule_id': schedule.id, 'instance_index': i,
                  'from_host': source, 'to_host': targets[i]}
                 for i in sorted(indexes))


def _schedules_on(db, host_id):
    marker = None
    while True:
        page = db_schedules.list_schedules(db, _PAGE, marker=marker,
                                           host_id=host_id)
        yield from page
        if len(page) < _PAGE:
            return
        marker = page[-1].id
