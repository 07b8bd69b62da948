"""Host liveness: ``up`` until heartbeats stop for ``service_down_time``.

``up`` is the one statement of the rule; the host view, the host list's
``status`` filter, the scheduler's host table and the metrics all call it.
"""

import datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy import orm


def down_cutoff(now, service_down_time):
    """Heartbeats older than this mean the host is down."""
    return now - datetime.timedelta(seconds=service_down_time)


def up(last_heartbeat, cutoff):
    """A host that never sent a heartbeat is not tracked and counts as up;
    one whose last heartbeat is at or after ``cutoff`` is up.

    ``last_heartbeat`` is a time or None, an SQL column (the condition is
    returned), or a numpy array of seconds with NaN for none (a mask).
    """
    if isinstance(last_heartbeat, (sa.ColumnElement, orm.QueryableAttribute)):
        return sa.or_(last_heartbeat.is_(None), last_heartbeat >= cutoff)
    if isinstance(last_heartbeat, np.ndarray):
        with np.errstate(invalid='ignore'):
            return np.isnan(last_heartbeat) | (last_heartbeat >= cutoff)
    return last_heartbeat is None or last_heartbeat >= cutoff

