"""What FIFO queues remember for five minutes: deduplication ids and receive request attempts."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

WINDOW = 300
"""Seconds: the deduplication interval AWS documents for both."""

Value = TypeVar("Value")


class ExpiringMemory(Generic[Value]):
    """Values remembered for WINDOW seconds; the oldest are forgotten first, so forgetting is O(1) each."""

    def __init__(self) -> None:
        self._entries: OrderedDict[Hashable, tuple[float, Value]] = OrderedDict()

    def get(self, key: Hashable, now: float) -> Value | None:
        self._forget(now)
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def remember(self, key: Hashable, value: Value, now: float) -> None:
        self._entries.pop(key, None)
        self._entries[key] = (now + WINDOW, value)

    def clear(self) -> None:
        self._entries.clear()

    def _forget(self, now: float) -> None:
        entries = self._entries
        while entries:
            key, (expires, _) = next(iter(entries.items()))
            if expires > now:
                return
            del entries[key]
