"""UTC time helpers: naive UTC datetimes in the database, ISO 8601 'Z' out."""

import datetime


def utcnow():
    """Now as a naive UTC datetime, microseconds kept."""
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def isotime(value):
    """Format a naive UTC datetime as ``2026-11-22T14:03:05Z``; None stays."""
    if value is None:
        return None
    return value.strftime('%Y-%m-%dT%H:%M:%SZ')
