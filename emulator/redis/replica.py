"""The role a listener's clients see: a primary, or a read-only replica of one (ElastiCache replicas and reader
endpoints), sharing the primary's data as a twin may, but refusing writes with redis' words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from fakeredis._helpers import SimpleError

from cloudtwin.redis.dispatch import check_arity
from cloudtwin.redis.engine import WRITE_COMMANDS

if TYPE_CHECKING:
    from fakeredis._commands import Signature

# redis-server's shared.roslaveerr, sent to a write on a replica with replica-read-only yes (ElastiCache's setting).
READONLY_REPLICA = "READONLY You can't write against a read only replica."


@dataclass
class NodeRole:
    """What a listener serves. A replica names the address of its primary, which ROLE and INFO report; a failover
    changes the role of the listeners it touches (and drops their clients)."""

    primary_address: tuple[str, int] | None = None

    @property
    def is_replica(self) -> bool:
        return self.primary_address is not None

    def refuses(self, command: str) -> bool:
        """Whether this role refuses the command (its full lowercase name, "set" or "config set") as a write."""
        return self.primary_address is not None and command.encode() in WRITE_COMMANDS

    def refuses_request(self, signature: Signature, args: list[bytes], version: tuple) -> bool:
        """Whether a client's command is refused as a write; one with the wrong number of arguments gets redis'
        arity error instead, which redis checks first."""
        if not self.refuses(signature.name):
            return False
        try:
            check_arity(signature, args[2:] if " " in signature.name else args[1:], version)
        except SimpleError:
            return False
        return True

    def role_reply(self) -> list:
        """ROLE as redis answers it: a primary lists no replicas here (they share its data, nothing replicates)."""
        if self.primary_address is None:
            return [b"master", 0, []]
        host, port = self.primary_address
        return [b"slave", host.encode(), port, b"connected", 0]

    def info_fields(self) -> dict:
        """The INFO replication section's fields for this role."""
        if self.primary_address is None:
            return {"role": "master", "connected_slaves": 0}
        host, port = self.primary_address
        return {
            "role": "slave",
            "master_host": host,
            "master_port": port,
            "master_link_status": "up",
            "master_last_io_seconds_ago": 0,
            "master_sync_in_progress": 0,
            "slave_read_repl_offset": 0,
            "slave_repl_offset": 0,
            "slave_priority": 100,
            "slave_read_only": 1,
            "replica_announced": 1,
            "connected_slaves": 0,
            "master_failover_state": "no-failover",
        }

    def script_refusal(self, args: tuple) -> bytes | None:
        """The error a script's redis.call of a write gets on a replica, or None."""
        name = args[0].decode(errors="replace").lower() if args and isinstance(args[0], bytes) else ""
        return READONLY_REPLICA.encode() if self.refuses(name) else None


PRIMARY = NodeRole()
