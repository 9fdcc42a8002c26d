"""UUID-shaped ids (message ids, request ids) without paying for a uuid4 each time."""

from __future__ import annotations

import itertools
import uuid


class UuidSequence:
    def __init__(self) -> None:
        # A random uuid4's first 24 characters, then a 12-hex-digit counter: unique per
        # process and across restarts, and still parseable as a version-4 UUID.
        self._prefix = str(uuid.uuid4())[:24]
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):012x}"
