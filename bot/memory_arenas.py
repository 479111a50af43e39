"""A cap on glibc malloc's arenas for a serving worker.

glibc gives a thread that finds the main arena busy an arena of its own, up to 8 per core, and
an arena keeps memory that was freed in it. A worker runs its turns on `TURN_THREADS` threads
beside the event loop, so after its caches fill it still grew about 2 MB a minute. Capped at 2
arenas (MALLOC_ARENAS) the 10-minute soak at 100 turns a second ended +4.9% / +5.0% and level
from its sixth minute, instead of +8.4% / +9.4%, at the same rate, with nothing failed
(bench/README.md, "Load held").
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform

logger = logging.getLogger(__name__)

_M_ARENA_MAX = -8  # mallopt's parameter number for the arena cap (glibc's malloc.h)


def cap_malloc_arenas(arenas: int) -> bool:
    """Let glibc's malloc use at most `arenas` arenas from now on (0: leave its default).
    False when nothing was changed: not glibc, or MALLOC_ARENA_MAX is set (glibc read that
    itself at start-up, and the operator's choice stands)."""
    if arenas <= 0 or os.environ.get("MALLOC_ARENA_MAX"):
        return False
    if platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(None)
        capped = bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except (OSError, AttributeError):
        return False
    if capped:
        logger.info("malloc arenas capped at %d", arenas)
    return capped
