"""Giving memory the process freed back to the operating system.

glibc keeps what a large burst of small allocations freed (reading 100k
host rows at once: ~185 MB at its peak) in its heap for reuse, so the
worker's RSS stays at the peak long after. ``malloc_trim`` returns the
free pages; elsewhere (another C library, no ``ctypes``) nothing happens.
"""

import ctypes
import ctypes.util
import functools


@functools.cache
def _malloc_trim():
    name = ctypes.util.find_library('c')
    if name is None:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def trim():
    """Return the C heap's free pages to the system; True if it could."""
    malloc_trim = _malloc_trim()
    if malloc_trim is None:
        return False
    malloc_trim(0)
    return True
