"""INFO: the sections and fields monitoring tools (and ElastiCache's metrics) read."""

from __future__ import annotations

import os
import platform
from typing import Any

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command
from cloudtwin.redis.memory import STARTUP_MEMORY

# In redis 7's order; INFO with no argument leaves out commandstats, as redis does.
SECTIONS = (
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "cluster",
    "keyspace",
)
DEFAULT_SECTIONS = tuple(section for section in SECTIONS if section != "commandstats")


class InfoCommands(ServerCommandsBase):
    @server_command("INFO", repeat=(bytes,))
    def cloudtwin_info(self, *sections: bytes) -> Any:
        wanted = {section.decode(errors="replace").lower() for section in sections}
        if not wanted:
            wanted.add("default")
        if "default" in wanted:
            wanted.update(DEFAULT_SECTIONS)
        if "all" in wanted or "everything" in wanted:
            wanted.update(SECTIONS)
        blocks = []
        for section in (section for section in SECTIONS if section in wanted):
            render = getattr(self, f"_info_{section}", None)
            if render is not None:
                fields = render()
                lines = [f"# {section.capitalize()}"] + [f"{name}:{value}" for name, value in fields.items()]
                blocks.append("\r\n".join(lines) + "\r\n")
        return "\r\n".join(blocks).encode()

    def _info_server(self) -> dict[str, Any]:
        engine = self.engine
        uptime = int(engine.clock.now() - engine.started_at)
        host, port = self.connection.server_address
        return {
            "redis_version": self.engine_version,
            "redis_git_sha1": "00000000",
            "redis_mode": "standalone" if self.engine.cluster is None else "cluster",
            "os": f"{platform.system()} {platform.release()} {platform.machine()}",
            "arch_bits": 64,
            "multiplexing_api": "epoll",
            "process_id": os.getpid(),
            "run_id": engine.run_id,
            "tcp_port": port,
            "server_time_usec": int(engine.clock.now() * 1_000_000),
            "uptime_in_seconds": uptime,
            "uptime_in_days": uptime // 86400,
            "executable": "cloudtwin",
            "config_file": "",
        }

    def _info_clients(self) -> dict[str, Any]:
        engine = self.engine
        return {
            "connected_clients": len(engine.connections),
            "maxclients": engine.config["maxclients"],
            "blocked_clients": len(engine.blocked),
            "pubsub_clients": sum(1 for c in engine.connections.values() if c.socket._pubsub),
            "tracking_clients": len(engine.tracking.tracking),
        }

    def _info_memory(self) -> dict[str, Any]:
        engine = self.engine
        used = engine.used_memory()
        return {
            "used_memory": used,
            "used_memory_human": _human(used),
            "used_memory_peak": engine.note_peak(used),
            "used_memory_startup": STARTUP_MEMORY,
            "used_memory_dataset": used - STARTUP_MEMORY,
            "maxmemory": engine.maxmemory,
            "maxmemory_human": _human(engine.maxmemory),
            "maxmemory_policy": engine.config["maxmemory-policy"],
            "mem_fragmentation_ratio": "1.00",
            "mem_allocator": "cloudtwin-estimate",
        }

    def _info_persistence(self) -> dict[str, Any]:
        return {
            "loading": 0,
            "rdb_changes_since_last_save": 0,
            "rdb_last_save_time": self._server.lastsave,
            "aof_enabled": 0,
        }

    def _info_stats(self) -> dict[str, Any]:
        stats = self.engine.stats
        return {
            "total_connections_received": stats.total_connections_received,
            "total_commands_processed": stats.total_commands_processed,
            "rejected_connections": stats.rejected_connections,
            "expired_keys": stats.expired_keys,
            "evicted_keys": stats.evicted_keys,
            "keyspace_hits": stats.keyspace_hits,
            "keyspace_misses": stats.keyspace_misses,
            "pubsub_channels": len(self._server.subscribers),
            "pubsub_patterns": len(self._server.psubscribers),
            "total_error_replies": stats.total_error_replies,
            "client_output_buffer_limit_disconnections": stats.client_output_buffer_limit_disconnections,
            **self.engine.tracking.info_stats(),
        }

    def _info_replication(self) -> dict[str, Any]:
        return self.connection.role.info_fields()

    def _info_modules(self) -> dict[str, Any]:
        return {}

    def _info_commandstats(self) -> dict[str, Any]:
        commands = self.engine.stats.commands
        return {f"cmdstat_{name.replace(' ', '|')}": stat.render() for name, stat in sorted(commands.items())}

    def _info_errorstats(self) -> dict[str, Any]:
        return {f"errorstat_{code}": f"count={count}" for code, count in sorted(self.engine.stats.errors.items())}

    def _info_cluster(self) -> dict[str, Any]:
        return {"cluster_enabled": int(self.engine.cluster is not None)}

    def _info_cpu(self) -> dict[str, Any]:
        times = os.times()
        return {"used_cpu_sys": f"{times.system:.6f}", "used_cpu_user": f"{times.user:.6f}"}

    def _info_keyspace(self) -> dict[str, Any]:
        engine = self.engine
        engine.sweep_time()
        lines = {}
        for db in sorted(engine.databases, key=lambda database: database.index):
            db._remove_expired()
            keys = len(db._dict)
            if keys:
                expires = sum(1 for item in db._dict.values() if item.expireat is not None)
                lines[f"db{db.index}"] = f"keys={keys},expires={expires},avg_ttl=0"
        return lines


def _human(size: float) -> str:
    if size < 1024:
        return f"{int(size)}B"
    for unit in ("K", "M", "G"):
        size /= 1024
        if size < 1024 or unit == "G":
            break
    return f"{size:.2f}{unit}"
