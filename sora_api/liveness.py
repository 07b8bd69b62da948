"""Host liveness: ``up`` until heartbeats stop for ``service_down_time``."""

import datetime


def down_cutoff(now, service_down_time):
    """Heartbeats older than this mean the host is down."""
    return now - datetime.timedelta(seconds=service_down_time)


def is_up(last_heartbeat, now, service_down_time):
    """A host that never sent a heartbeat is not tracked and counts as up."""
    if last_heartbeat is None:
        return True
    return last_heartbeat >= down_cutoff(now, service_down_time)
