"""An SQLite database file: created private, opened only if it exists."""

import os
import sqlite3
import stat
import urllib.parse

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

# Below this much free space on the file's filesystem, the database is
# reported full: a commit appends whole pages to the write-ahead log.
MIN_FREE_BYTES = 64 * 1024


def prepare(path):
    """Create the file's directory (0700) and the empty file (0600).

    Only what is missing is created: an operator's own directory or file
    keeps its mode, with a warning when others may read the database.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)
        # NOTE: makedirs' mode is masked by the umask and applies to the
        # last directory only; the one holding the database is made exact.
        os.chmod(directory, 0o700)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode) and mode & 0o077:
            LOG.warning('The database file %s has mode %o: other users may '
                        'read it (tokens are hashed, schedules are not). '
                        'chmod 600 it.', path, stat.S_IMODE(mode))
    except IsADirectoryError:
        pass  # connecting reports it


def connect(path):
    """A connection to the existing file ``path``, never a new empty one.

    NOTE: a deleted database file would otherwise be created anew, empty,
    by the next connection, and writes answered as if stored.
    """
    uri = 'file:%s?mode=rw' % urllib.parse.quote(os.path.abspath(path))
    # timeout 0: Sora waits for the write lock itself (engine.py).
    return sqlite3.connect(uri, uri=True, timeout=0, check_same_thread=False)


def identity(path):
    """``(device, inode)`` of the file at ``path`` now, None when absent."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def write_problem(path):
    """Why nothing can be written to the database at ``path``, or None.

    ``os.access`` honours read-only mounts and the immutable attribute
    even for root, for whom file modes do not count.
    """
    directory = os.path.dirname(os.path.abspath(path))
    for name in (path, directory):
        if not os.access(name, os.W_OK):
            return '%s is not writable' % name
    space = os.statvfs(directory)
    if space.f_bavail * space.f_frsize < MIN_FREE_BYTES:
        return 'the filesystem of %s is full' % directory
    return None
