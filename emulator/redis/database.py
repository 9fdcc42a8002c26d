"""A fakeredis Database that also keeps what a server needs: key sizes, recency, frequency, expiry events."""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from fakeredis._core import Database

from emulator.redis.memory import estimate_key

if TYPE_CHECKING:
    from emulator.redis.engine import RedisEngine


class TrackedDatabase(Database):
    """Adds bookkeeping to fakeredis's Database; the stored items stay fakeredis's own.

    `sizes` holds each key's estimated footprint, refreshed after every command for the keys it
    wrote (`settle`); `recency` orders keys by last access for LRU; `frequency` counts accesses for LFU.
    """

    def __init__(self, lock: threading.Lock, engine: RedisEngine, index: int) -> None:
        super().__init__(lock)
        self.engine = engine
        self.index = index
        self.sizes: dict[bytes, int] = {}
        self.used_memory = 0
        self.recency: OrderedDict[bytes, int] = OrderedDict()
        self.frequency: dict[bytes, int] = {}
        self._dirty: set[bytes] = set()
        # Keys a read-only command looked up, and whether each was there: tallied into keyspace hits and misses.
        self.lookups: dict[bytes, bool] | None = None

    def __getitem__(self, key: bytes) -> Any:
        # On every key access of every command: kept flat, without helper calls on the common path.
        item = self._dict.get(key)
        if item is not None:
            expireat = item.expireat
            if expireat is not None and expireat < self.time:
                self._expire(key)
                item = None
        lookups = self.lookups
        if lookups is not None and key not in lookups:
            lookups[key] = item is not None
        if item is None:
            raise KeyError(key)
        if self.engine.maxmemory:
            self._touch(key)
        return item

    def __setitem__(self, key: bytes, value: Any) -> None:
        super().__setitem__(key, value)
        self._dirty.add(key)
        if self.engine.maxmemory:
            self._touch(key)

    def __delitem__(self, key: bytes) -> None:
        super().__delitem__(key)
        self._dirty.add(key)

    def notify_watch(self, key: bytes) -> None:
        super().notify_watch(key)
        self._dirty.add(key)

    def wake_all(self) -> None:
        # No thread waits on fakeredis's condition here (the loop retries blocked clients itself), so notifying it
        # would only cost time on every write.
        self.engine.blocked_may_proceed = True

    def clear(self) -> None:
        super().clear()
        self.sizes.clear()
        self.recency.clear()
        self.frequency.clear()
        self._dirty.clear()
        self.used_memory = 0

    def swap(self, other: Database) -> None:
        super().swap(other)
        if isinstance(other, TrackedDatabase):
            for name in ("sizes", "used_memory", "recency", "frequency", "_dirty"):
                mine, theirs = getattr(self, name), getattr(other, name)
                setattr(self, name, theirs)
                setattr(other, name, mine)

    def _remove_expired(self) -> None:
        # fakeredis's heap walk, but each removal goes through _expire so it is counted and announced.
        heap = self._expiry_heap
        while heap and heap[0][0] < self.time:
            _, key = heapq.heappop(heap)
            item = self._dict.get(key)
            if item is not None and self.expired(item):
                self._expire(key)

    def _expire(self, key: bytes) -> None:
        del self._dict[key]
        self._forget(key)
        self.engine.key_expired(self.index, key)

    def evict(self, key: bytes) -> None:
        self._dict.pop(key, None)
        self._forget(key)
        self.notify_watch(key)

    def _forget(self, key: bytes) -> None:
        self.used_memory -= self.sizes.pop(key, 0)
        self.recency.pop(key, None)
        self.frequency.pop(key, None)
        self._dirty.discard(key)

    def _touch(self, key: bytes) -> None:
        """Record an access for LRU and LFU; only under maxmemory, where untracked keys count as least used."""
        engine = self.engine
        engine.access_tick += 1
        recency = self.recency
        recency[key] = engine.access_tick
        recency.move_to_end(key)
        self.frequency[key] = self.frequency.get(key, 0) + 1

    def settle(self) -> None:
        """Bring `sizes` and `used_memory` up to date with the keys written since the last call."""
        dirty = self._dirty
        if not dirty:
            return
        sizes = self.sizes
        store = self._dict
        delta = 0
        for key in dirty:
            item = store.get(key)
            old = sizes.pop(key, 0)
            if item is None:
                self.recency.pop(key, None)
                self.frequency.pop(key, None)
                delta -= old
            else:
                new = estimate_key(key, item.value)
                sizes[key] = new
                delta += new - old
        dirty.clear()
        self.used_memory += delta

    def expiring_soonest(self) -> bytes | None:
        """The live key with the nearest expiry (volatile-ttl), skipping heap entries that went stale."""
        heap = self._expiry_heap
        while heap:
            expireat, key = heap[0]
            item = self._dict.get(key)
            if item is not None and item.expireat == expireat:
                return key
            heapq.heappop(heap)
        return None
