"""MEMORY: USAGE (the per-key estimate eviction and INFO's used_memory are built from), STATS, DOCTOR, MALLOC-STATS,
PURGE and HELP, as redis 7.0 answers them from the twin's memory model.

The twin has estimates, not an allocator: STATS reports the estimated totals in redis' fields, with the allocator's
figures equal to them (no fragmentation, no resident overhead), and MALLOC-STATS answers as a redis built without
jemalloc does.
"""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Int
from fakeredis._helpers import OK, SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import help_reply, server_command
from cloudtwin.redis.memory import STARTUP_MEMORY, estimate_key

# redis' dictEntry and bucket pointer sizes on 64 bits: a database's main and expires tables cost this per key.
_DICT_ENTRY = 24
_DICT_BUCKET = 8
# MEMORY DOCTOR's thresholds in redis 7.0: too little memory to judge, a peak far above the current usage, client
# buffers large on average, many cached scripts.
_DOCTOR_MINIMUM = 5 * 1024 * 1024
_DOCTOR_PEAK_RATIO = 1.5
_DOCTOR_CLIENT_BUFFER = 200 * 1024
_DOCTOR_SCRIPTS = 1000

_HELP = [
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
]

_EMPTY_REPORT = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these "
    "conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back "
    "to our programming as soon as I finished rebooting.\n"
)
_HEALTHY_REPORT = (
    "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
)
# The findings that apply to the twin (it has no allocator to fragment and no replicas), in redis' words and order.
_PEAK_FINDING = (
    " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator "
    "is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however "
    "this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) "
    "is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more "
    "data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE "
    "command, otherwise the only other option is to shutdown and restart the instance.\n\n"
)
_CLIENT_BUFFERS_FINDING = (
    " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on "
    "average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving "
    "data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large "
    "replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to "
    "investigate the issue if it causes problems in your instance, or to understand better why certain clients are "
    "using a big amount of memory.\n\n"
)
_SCRIPTS_FINDING = (
    " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because "
    "scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and "
    "`EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your "
    "memory.\n\n"
)


def _slots(count: int) -> int:
    """A redis dict's bucket count for `count` entries: the next power of two, at least 4 once used."""
    if count == 0:
        return 0
    size = 4
    while size < count:
        size *= 2
    return size


class MemoryCommands(ServerCommandsBase):
    @server_command("MEMORY USAGE", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_memory_usage(self, key: bytes, *options: bytes) -> Any:
        if options and (len(options) != 2 or options[0].lower() != b"samples" or Int.decode(options[1]) < 0):
            raise SimpleError("ERR syntax error")
        item = self._db.get(key)
        return None if item is None else estimate_key(key, item.value)

    @server_command("MEMORY STATS")
    def cloudtwin_memory_stats(self) -> dict:
        engine = self.engine
        clients = sum(connection.buffered_bytes() for connection in engine.connections.values())
        scripts = sum(len(body) for body in self._server.script_cache.values())
        function_engine = getattr(engine.server, "_lua_functions", None)
        libraries = function_engine.libraries.values() if function_engine is not None else ()
        functions = sum(len(library.code) for library in libraries)
        # The keys' and clients' estimate (INFO's used_memory), with the scripts and functions redis also holds.
        total = engine.used_memory() + scripts + functions
        peak = engine.note_peak(total)
        stats: dict[bytes, Any] = {
            b"peak.allocated": peak,
            b"total.allocated": total,
            b"startup.allocated": STARTUP_MEMORY,
            b"replication.backlog": 0,
            b"clients.slaves": 0,
            b"clients.normal": clients,
            b"cluster.links": 0,
            b"aof.buffer": 0,
            b"lua.caches": scripts,
            b"functions.caches": functions,
        }
        overhead = STARTUP_MEMORY + clients + scripts + functions
        keys = 0
        for db in sorted(engine.databases, key=lambda db: db.index):
            count = len(db._dict)
            if not count:
                continue
            keys += count
            expiring = sum(1 for item in db._dict.values() if item.expireat is not None)
            main = count * _DICT_ENTRY + _slots(count) * _DICT_BUCKET
            expires = expiring * _DICT_ENTRY + _slots(expiring) * _DICT_BUCKET
            stats[b"db.%d" % db.index] = {
                b"overhead.hashtable.main": main,
                b"overhead.hashtable.expires": expires,
                b"overhead.hashtable.slot-to-keys": 0,
            }
            overhead += main + expires
        dataset = max(total - overhead, 0)
        net = total - STARTUP_MEMORY
        stats.update(
            {
                b"overhead.total": overhead,
                b"keys.count": keys,
                b"keys.bytes-per-key": net // keys if keys else 0,
                b"dataset.bytes": dataset,
                b"dataset.percentage": dataset * 100 / net if net > 0 else 0.0,
                b"peak.percentage": total * 100 / peak if peak else 0.0,
                # No allocator: what is allocated is what is active and resident.
                b"allocator.allocated": total,
                b"allocator.active": total,
                b"allocator.resident": total,
                b"allocator-fragmentation.ratio": 1.0,
                b"allocator-fragmentation.bytes": 0,
                b"allocator-rss.ratio": 1.0,
                b"allocator-rss.bytes": 0,
                b"rss-overhead.ratio": 1.0,
                b"rss-overhead.bytes": 0,
                b"fragmentation": 1.0,
                b"fragmentation.bytes": 0,
            }
        )
        return stats

    @server_command("MEMORY DOCTOR")
    def cloudtwin_memory_doctor(self) -> bytes:
        engine = self.engine
        total = engine.used_memory()
        if total < _DOCTOR_MINIMUM:
            return _EMPTY_REPORT.encode()
        findings = []
        if engine.note_peak(total) / total > _DOCTOR_PEAK_RATIO:
            findings.append(_PEAK_FINDING)
        clients = sum(connection.buffered_bytes() for connection in engine.connections.values())
        if clients // max(len(engine.connections), 1) > _DOCTOR_CLIENT_BUFFER:
            findings.append(_CLIENT_BUFFERS_FINDING)
        if len(self._server.script_cache) > _DOCTOR_SCRIPTS:
            findings.append(_SCRIPTS_FINDING)
        if not findings:
            return _HEALTHY_REPORT.encode()
        report = "Sam, I detected a few issues in this Redis instance memory implants:\n\n" + "".join(findings)
        return (report + "I'm here to keep you safe, Sam. I want to help you.\n").encode()

    @server_command("MEMORY MALLOC-STATS")
    def cloudtwin_memory_malloc_stats(self) -> bytes:
        # What redis-server built with libc malloc answers: the twin has no allocator to report on.
        return b"Stats not supported for the current allocator"

    @server_command("MEMORY PURGE")
    def cloudtwin_memory_purge(self) -> Any:
        # As redis-server built without jemalloc: nothing to purge, and it says OK.
        return OK

    @server_command("MEMORY HELP")
    def cloudtwin_memory_help(self) -> Any:
        return help_reply("MEMORY", _HELP)
