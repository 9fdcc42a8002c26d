"""Handing freed memory back to the operating system after a large release.

glibc keeps the pages of freed blocks in its heaps for reuse, so once a client with a big output buffer went, or
FLUSHALL emptied a big dataset, the process would stay at its peak size. `malloc_trim(0)` returns those pages. It walks
the heaps, so it runs at most once a second and only after enough was let go of to be worth it. Elsewhere than glibc
(macOS, musl) there is nothing to call and memory stays as the allocator keeps it.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from collections.abc import Callable

TRIM_THRESHOLD = 1024 * 1024
TRIM_INTERVAL = 1.0


def _find_malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        if not os.confstr("CS_GNU_LIBC_VERSION"):
            return None
        trim = ctypes.CDLL(None).malloc_trim
    except (ValueError, OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


_MALLOC_TRIM = _find_malloc_trim()


class HeapTrimmer:
    def __init__(self, threshold: int = TRIM_THRESHOLD, interval: float = TRIM_INTERVAL) -> None:
        self.threshold = threshold
        self.interval = interval
        self.available = _MALLOC_TRIM is not None
        # Bytes let go of since the last trim, as estimated by whoever let go of them.
        self.released_bytes = 0
        self.trims = 0
        self._last_trim = float("-inf")

    def released(self, size: int) -> None:
        self.released_bytes += size

    def trim_if_due(self) -> bool:
        """Trim if enough was released and the last trim is long enough ago; whether it did."""
        if self.released_bytes < self.threshold or _MALLOC_TRIM is None:
            return False
        now = time.monotonic()
        if now - self._last_trim < self.interval:
            return False
        self._last_trim = now
        self.released_bytes = 0
        self.trims += 1
        _MALLOC_TRIM(0)
        return True
