"""The shared state behind every Redis connection: fakeredis's server plus what a real server adds."""

from __future__ import annotations

import json
import os
import random
from typing import TYPE_CHECKING

import fakeredis
from fakeredis import FakeServer
from fakeredis._helpers import compile_pattern

from cloudtwin.clock import Clock
from cloudtwin.redis.clock_link import follow_clock
from cloudtwin.redis.commands.acl import RedisAcl
from cloudtwin.redis.commands.expiry import redis_time
from cloudtwin.redis.commands.tracking import KeyTracking
from cloudtwin.redis.config import OutputBufferLimit, ServerConfig, parse_output_buffer_limits
from cloudtwin.redis.database import TrackedDatabase
from cloudtwin.redis.heap import HeapTrimmer
from cloudtwin.redis.memory import STARTUP_MEMORY
from cloudtwin.redis.monitor import SCRIPT_COMMANDS, monitor_line
from cloudtwin.redis.output_buffer import UNCOUNTED_BYTES
from cloudtwin.redis.protocol import Push
from cloudtwin.redis.slowlog import SlowLog
from cloudtwin.redis.stats import Stats

if TYPE_CHECKING:
    from cloudtwin.redis.cluster.node import ClusterNode
    from cloudtwin.redis.commands.scripting import LuaSandbox
    from cloudtwin.redis.connection import ClientConnection

# The redis-server release the twin answers as: ElastiCache for Redis OSS 7 runs the 7.0 line, and the differential
# tests run against 7.0.15.
REDIS_VERSION = "7.0.15"


# notify-keyspace-events class of each command family: $ strings, l lists, s sets, h hashes, z sorted sets, t streams.
_CATEGORY_CLASSES = {"@string": "$", "@list": "l", "@set": "s", "@hash": "h", "@sortedset": "z", "@stream": "t"}


def _command_table() -> tuple[
    frozenset[bytes], frozenset[bytes], frozenset[bytes], dict[bytes, str], frozenset[str], frozenset[str]
]:
    """Read-only, write and deny-on-OOM commands, each command's event class, the commands MONITOR leaves out (admin and
    skip_monitor ones) and those SLOWLOG leaves out, from the table fakeredis ships."""
    with open(os.path.join(os.path.dirname(fakeredis.__file__), "commands.json")) as table:
        commands = json.load(table)
    readonly = frozenset(name.encode() for name, info in commands.items() if "readonly" in info[2])
    write = frozenset(name.encode() for name, info in commands.items() if "write" in info[2])
    denyoom = frozenset(name.encode() for name, info in commands.items() if "denyoom" in info[2])
    classes = {}
    for name, info in commands.items():
        found = [_CATEGORY_CLASSES[category] for category in info[6] if category in _CATEGORY_CLASSES]
        classes[name.encode()] = found[0] if found else "g"
    unmonitored = frozenset(name for name, info in commands.items() if {"admin", "skip_monitor"} & set(info[2]))
    # Admin commands in redis that fakeredis's table lacks, because the server implements them.
    unmonitored |= {"config get", "config resetstat", "config rewrite", "monitor"} | SCRIPT_COMMANDS
    unlogged = frozenset(name for name, info in commands.items() if "skip_slowlog" in info[2])
    return readonly, write, denyoom, classes, unmonitored, unlogged


(
    READONLY_COMMANDS,
    WRITE_COMMANDS,
    DENYOOM_COMMANDS,
    EVENT_CLASSES,
    UNMONITORED_COMMANDS,
    UNLOGGED_COMMANDS,
) = _command_table()


class RedisEngine:
    """One fakeredis server state, with expiry, eviction and notifications on the emulator clock.

    Everything here runs on the server's event loop thread, holding `server.lock` where fakeredis
    expects it, except `flush`, which other threads (the admin API) call.
    """

    def __init__(self, clock: Clock) -> None:
        follow_clock(clock)
        self.clock = clock
        self.server = FakeServer(version=(7, 0))
        # ACL denials worded and logged as redis 7.0 does (ACL LOG), on the emulator clock.
        self.server.acl = RedisAcl(clock.now, self.client_sockets)
        self.server.dbs = DatabaseTable(self)  # type: ignore[assignment]
        self.config = ServerConfig(self._config_changed)
        self.stats = Stats()
        self.slowlog = SlowLog(UNLOGGED_COMMANDS)
        self.started_at = clock.now()
        self.connections: dict[int, ClientConnection] = {}
        # Clients that sent MONITOR, in the order they did.
        self.monitors: list[ClientConnection] = []
        # Blocked clients in the order they blocked: redis serves the longest waiting first.
        self.blocked: list[ClientConnection] = []
        self.blocked_may_proceed = False
        self.maxmemory = 0
        # Whether key accesses feed LRU and LFU: under maxmemory, or with an LFU policy (OBJECT FREQ).
        self.tracks_use = False
        # CONFIG timeout: seconds of idleness after which a client is closed; 0 never.
        self.idle_timeout = 0
        # Whether notify-keyspace-events asks for any channel (K or E); checked after every write.
        self.keyspace_events = False
        # Logical time of key accesses, so LRU can compare keys of different databases.
        self.access_tick = 0
        self.run_id = os.urandom(20).hex()
        # The Lua interpreter EVAL runs in, started on first use; SCRIPT FLUSH and `flush` start afresh.
        self.lua: LuaSandbox | None = None
        # When the last cross-protocol (HTTP) request was logged, on the monotonic clock: redis warns once a minute.
        self.cross_protocol_warned_at = float("-inf")
        # redis' enable-debug-command: "no" (refused, redis 7's default and ElastiCache's), "yes", or "local".
        self.enable_debug_command = "no"
        self._peak_memory = 0
        self.heap = HeapTrimmer()
        # Client-side caching (CLIENT TRACKING): who may hold which keys, and the invalidations owed.
        self.tracking = KeyTracking(self.client_sockets)
        self.output_limits: dict[str, OutputBufferLimit] = {}
        # The smallest output buffer a limit of a class the twin's clients fall in looks at (no client is ever a
        # replica): below it a reply is queued without checking limits.
        self.output_limit_floor: float = 0
        self._set_output_limits(self.config["client-output-buffer-limit"])
        # This server's node in a cluster (cluster mode enabled), or None for a standalone server.
        self.cluster: ClusterNode | None = None

    @property
    def databases(self) -> list[TrackedDatabase]:
        """The databases used so far; fakeredis stamps the time on each one per command, so they appear on demand."""
        return list(self.server.dbs.values())

    def _config_changed(self, name: str, value: str) -> None:
        if name in ("maxmemory", "maxmemory-policy"):
            self.maxmemory = int(self.config["maxmemory"])
            self.tracks_use = bool(self.maxmemory) or self.config["maxmemory-policy"].endswith("lfu")
        elif name == "timeout":
            self.idle_timeout = int(value)
        elif name == "slowlog-log-slower-than":
            self.slowlog.threshold = int(value)
        elif name == "slowlog-max-len":
            self.slowlog.resize(int(value))
        elif name == "proto-max-bulk-len":
            for connection in self.connections.values():
                connection.reader.max_bulk_len = int(value)
        elif name == "requirepass":
            # fakeredis's AUTH reads the password from its own config; the default user needs it too (redis 6+).
            self.server.config[b"requirepass"] = value.encode()
            default_user = self.server.acl.get_user_acl(b"default")
            default_user.set_nopass()
            if value:
                default_user.add_password(value.encode())
        elif name == "notify-keyspace-events":
            self.server.config[b"notify-keyspace-events"] = value.encode()
            self.keyspace_events = "K" in value or "E" in value
        elif name == "client-output-buffer-limit":
            self._set_output_limits(value)
        elif name in ("stream-node-max-entries", "stream-node-max-bytes"):
            # fakeredis packs stream entries into nodes by these, read from its own config (approximate trimming).
            self.server.config[name.encode()] = value.encode()

    def _set_output_limits(self, value: str) -> None:
        self.output_limits = parse_output_buffer_limits(value)
        limits = self.output_limits
        bounds = [bound for name in ("normal", "pubsub") for bound in (limits[name].hard, limits[name].soft) if bound]
        self.output_limit_floor = min(bounds, default=float("inf")) + UNCOUNTED_BYTES

    def define_users(self, rules: str) -> None:
        """Create ACL users from `name rule rule ...; name rule ...`, the arguments ACL SETUSER takes."""
        from cloudtwin.redis.client_socket import InternalSession

        session = InternalSession(self)
        try:
            for definition in filter(None, (part.strip() for part in rules.split(";"))):
                session.run([b"ACL", b"SETUSER", *(word.encode() for word in definition.split())])
        finally:
            session.close()

    def requires_auth(self) -> bool:
        # As redis: a new client is authenticated as the default user only if that user is on and needs no password.
        default_user = self.server.acl.get_user_acl(b"default")
        return not default_user.enabled or not default_user.check_password(None)

    # --- memory and eviction

    def used_memory(self) -> int:
        total = STARTUP_MEMORY
        for db in self.databases:
            db.settle()
            total += db.used_memory
        return total + sum(connection.buffered_bytes() for connection in self.connections.values())

    def note_peak(self, used: int) -> int:
        self._peak_memory = max(self._peak_memory, used)
        return self._peak_memory

    def make_room(self) -> bool:
        """Evict keys by the configured policy until under maxmemory; False if that cannot be done."""
        if not self.maxmemory:
            return True
        policy = self.config["maxmemory-policy"]
        with self.server.lock:
            while self.used_memory() > self.maxmemory:
                if policy == "noeviction" or not self._evict_one(policy):
                    return False
        return True

    def _evict_one(self, policy: str) -> bool:
        volatile = policy.startswith("volatile")
        candidates: list[tuple[float, TrackedDatabase, bytes]] = []
        samples = int(self.config["maxmemory-samples"])
        for db in self.databases:
            if not db.sizes:
                continue
            if policy == "volatile-ttl":
                key = db.expiring_soonest()
                if key is not None:
                    candidates.append((db._dict[key].expireat, db, key))
            elif policy.endswith("lru"):
                key = self._oldest(db, volatile)
                if key is not None:
                    candidates.append((db.recency[key], db, key))
            elif policy.endswith("lfu"):
                for key in self._sample(db, samples, volatile):
                    candidates.append((db.frequency.get(key, 0), db, key))
            else:
                candidates.extend((random.random(), db, key) for key in self._sample(db, 1, volatile))
        if not candidates:
            return False
        _, db, key = min(candidates, key=lambda candidate: candidate[0])
        db.evict(key)
        self.stats.evicted_keys += 1
        self.notify_keyspace(db.index, b"evicted", key, flag="e")
        return True

    @staticmethod
    def _oldest(db: TrackedDatabase, volatile: bool) -> bytes | None:
        if len(db.recency) < len(db._dict):
            # Keys written before maxmemory was set were never tracked: they are the least recently used.
            for key, item in db._dict.items():
                if key not in db.recency and (not volatile or item.expireat is not None):
                    db.recency[key] = 0
                    db.recency.move_to_end(key, last=False)
                    return key
        for key in db.recency:
            item = db._dict.get(key)
            if item is not None and (not volatile or item.expireat is not None):
                return key
        return None

    @staticmethod
    def _sample(db: TrackedDatabase, count: int, volatile: bool) -> list[bytes]:
        if volatile:
            keys = [key for key, item in db._dict.items() if item.expireat is not None]
        else:
            keys = list(db._dict)
        return random.sample(keys, min(count, len(keys)))

    # --- expiry and notifications

    def sweep_expired(self) -> None:
        """Active expiry: drop every key whose TTL has passed on the emulator clock, read or not."""
        now = redis_time(self.clock.now())
        with self.server.lock:
            for db in self.databases:
                db.time = now
                db._remove_expired()
            if self.tracking.broadcasts:
                self.tracking.broadcast()

    def key_expired(self, db_index: int, key: bytes) -> None:
        self.stats.expired_keys += 1
        self.notify_keyspace(db_index, b"expired", key, flag="x")

    def notify_keyspace(self, db_index: int, event: bytes, key: bytes, flag: str) -> None:
        flags = self.config["notify-keyspace-events"]
        # 'A' stands for every class but key-miss (m) and new-key (n).
        if flag not in flags and not ("A" in flags and flag in "g$lshzxet"):
            return
        if "K" in flags:
            self.publish(b"__keyspace@%d__:%s" % (db_index, key), event)
        if "E" in flags:
            self.publish(b"__keyevent@%d__:%s" % (db_index, event), key)

    def publish(self, channel: bytes, message: bytes) -> None:
        server = self.server
        for sock in list(server.subscribers.get(channel, ())):
            sock.put_response(Push([b"message", channel, message]))
        for pattern, socks in list(server.psubscribers.items()):
            if compile_pattern(pattern).match(channel):
                for sock in list(socks):
                    sock.put_response(Push([b"pmessage", pattern, channel, message]))

    def client_sockets(self) -> list:
        """The fakeredis socket of every client connected now."""
        return [connection.socket for connection in self.connections.values()]

    def feed_monitors(self, db_index: int, source: str, arguments: list[bytes]) -> None:
        line = monitor_line(self.clock.now(), db_index, source, arguments)
        for monitor in list(self.monitors):
            monitor.monitor_output(line)

    # --- whole-server operations

    def flush(self) -> None:
        with self.server.lock:
            for db in self.databases:
                db.clear()
            self.server.script_cache.clear()
            # A fresh twin: a new interpreter for scripts, and no function libraries.
            self.lua = None
            self.server._lua_functions = None  # type: ignore[attr-defined]

    def reset_stats(self) -> None:
        self.stats = Stats(total_connections_received=self.stats.total_connections_received)

    def key_count(self) -> int:
        with self.server.lock:
            self.sweep_time()
            return sum(len(db._dict) for db in self.databases)

    def sweep_time(self) -> None:
        now = redis_time(self.clock.now())
        for db in self.databases:
            db.time = now


class DatabaseTable(dict):
    """fakeredis's `dbs` mapping, creating our TrackedDatabase on first use of an index."""

    def __init__(self, engine: RedisEngine) -> None:
        super().__init__()
        self._engine = engine

    def __missing__(self, index: int) -> TrackedDatabase:
        database = TrackedDatabase(self._engine.server.lock, self._engine, index)
        self[index] = database
        return database
