"""Sora API: a filter-and-weigh scheduling service."""

from importlib import metadata


def version():
    """The installed release, as its build took it from git (pyproject.toml).

    ``unknown`` when the package runs from a tree that was never installed.
    """
    try:
        return metadata.version('sora-api')
    except metadata.PackageNotFoundError:
        return 'unknown'
