"""A fakeredis Database that also keeps what a server needs: key sizes, recency, frequency, expiry events."""

from __future__ import annotations

import heapq
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from fakeredis._core import Database

from cloudtwin.redis.memory import KEY_OVERHEAD, estimate_key

if TYPE_CHECKING:
    from cloudtwin.redis.engine import RedisEngine


# redis' LFU: new keys start at 5, increments get rarer as the counter grows (lfu-log-factor 10), and it loses one
# per idle minute (lfu-decay-time 1).
LFU_INIT = 5
LFU_LOG_FACTOR = 10


def decayed(counter: float, idle_seconds: float) -> float:
    return max(0.0, counter - idle_seconds // 60)


class TrackedDatabase(Database):
    """Adds bookkeeping to fakeredis's Database; the stored items stay fakeredis's own.

    `sizes` holds each key's estimated footprint, refreshed after every command for the keys it
    wrote (`settle`); `recency` orders keys by last access for LRU; `frequency` holds redis' LFU counter;
    `accessed` holds each key's last access time on the emulator clock (OBJECT IDLETIME, LFU decay).
    """

    def __init__(self, lock: threading.Lock, engine: RedisEngine, index: int) -> None:
        super().__init__(lock)
        self.engine = engine
        self.index = index
        self.sizes: dict[bytes, int] = {}
        self.used_memory = 0
        self.recency: OrderedDict[bytes, int] = OrderedDict()
        self.frequency: dict[bytes, float] = {}
        self.accessed: dict[bytes, float] = {}
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
        if self.engine.tracks_use:
            self._touch(key, created=False)
        self.accessed[key] = self.time
        return item

    def peek(self, key: bytes) -> Any:
        """The live item of `key` without counting an access (no LRU/LFU update, no keyspace hit), as OBJECT reads."""
        item = self._dict.get(key)
        return None if item is None or self.expired(item) else item

    def __setitem__(self, key: bytes, value: Any) -> None:
        super().__setitem__(key, value)
        self._dirty.add(key)
        if self.engine.tracks_use:
            self._touch(key, created=key not in self.accessed)
        self.accessed[key] = self.time

    def __delitem__(self, key: bytes) -> None:
        super().__delitem__(key)
        self._dirty.add(key)
        # A key written again under the same name is a new key: no access history.
        self.accessed.pop(key, None)
        self.frequency.pop(key, None)

    def notify_watch(self, key: bytes) -> None:
        # fakeredis's signal that a key changed (redis' signalModifiedKey): WATCH and client-side caching hear it.
        super().notify_watch(key)
        self._dirty.add(key)
        tracking = self.engine.tracking
        if tracking.tracking:
            tracking.key_modified(key)

    def wake_all(self) -> None:
        # No thread waits on fakeredis's condition here (the loop retries blocked clients itself), so notifying it
        # would only cost time on every write.
        self.engine.blocked_may_proceed = True

    def clear(self) -> None:
        # Sizes are settled lazily: the key count gives a floor for what the keys that are going held.
        self.engine.heap.released(self.used_memory + len(self._dict) * KEY_OVERHEAD)
        # A flush invalidates tracked keys all at once (FLUSHDB/FLUSHALL say so), not one by one.
        tracking = self.engine.tracking
        tracking.flushing = True
        try:
            super().clear()
        finally:
            tracking.flushing = False
        self.sizes.clear()
        self.recency.clear()
        self.frequency.clear()
        self.accessed.clear()
        self._dirty.clear()
        self.used_memory = 0

    def swap(self, other: Database) -> None:
        super().swap(other)
        if isinstance(other, TrackedDatabase):
            for name in ("sizes", "used_memory", "recency", "frequency", "accessed", "_dirty"):
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
        tracking = self.engine.tracking
        if tracking.tracking:
            tracking.key_modified(key)

    def evict(self, key: bytes) -> None:
        self._dict.pop(key, None)
        self._forget(key)
        self.notify_watch(key)

    def _forget(self, key: bytes) -> None:
        self.used_memory -= self.sizes.pop(key, 0)
        self.recency.pop(key, None)
        self.frequency.pop(key, None)
        self.accessed.pop(key, None)
        self._dirty.discard(key)

    def _touch(self, key: bytes, created: bool) -> None:
        """Record an access for LRU and LFU: under maxmemory, where untracked keys count as least used, or an LFU
        policy, for OBJECT FREQ."""
        engine = self.engine
        engine.access_tick += 1
        recency = self.recency
        recency[key] = engine.access_tick
        recency.move_to_end(key)
        counter = self.frequency.get(key)
        if counter is None:
            # A new key starts at redis' LFU_INIT_VAL; one written before tracking began has no usable counter (redis
            # reads its LRU clock as one and it decays to 0).
            counter = LFU_INIT if created else 0.0
            if created:
                self.frequency[key] = counter
                return
        counter = decayed(counter, self.time - self.accessed.get(key, self.time))
        # redis increments with probability 1 / ((counter - LFU_INIT) * lfu-log-factor + 1); this adds that chance,
        # the expected increment, so the counter is deterministic.
        if counter < 255:
            counter += 1 / (max(counter - LFU_INIT, 0) * LFU_LOG_FACTOR + 1)
        self.frequency[key] = counter

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
                self.accessed.pop(key, None)
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
