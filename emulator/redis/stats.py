"""The counters INFO reports: stats, commandstats and errorstats. CONFIG RESETSTAT starts them afresh."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fakeredis._helpers import SimpleError


class CommandStat:
    """One command's line of INFO commandstats."""

    __slots__ = ("calls", "seconds", "rejected_calls", "failed_calls")

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0
        # Refused before running (arity, ACL, NOAUTH, OOM, a queued command's error); failed while running.
        self.rejected_calls = 0
        self.failed_calls = 0

    def render(self) -> str:
        usec = int(self.seconds * 1_000_000)
        per_call = usec / self.calls if self.calls else 0.0
        return (
            f"calls={self.calls},usec={usec},usec_per_call={per_call:.2f},"
            f"rejected_calls={self.rejected_calls},failed_calls={self.failed_calls}"
        )


@dataclass
class Stats:
    expired_keys: int = 0
    evicted_keys: int = 0
    keyspace_hits: int = 0
    keyspace_misses: int = 0
    total_commands_processed: int = 0
    total_connections_received: int = 0
    rejected_connections: int = 0
    total_error_replies: int = 0
    # Clients dropped at their client-output-buffer-limit: the INFO field newer redis has (redis/redis#12476), which
    # 7.0 lacks; the only way to see such drops without reading the log.
    client_output_buffer_limit_disconnections: int = 0
    # By command name as fakeredis spells it ("client setname"); INFO writes "client|setname", as redis does.
    commands: dict[str, CommandStat] = field(default_factory=dict)
    # Error replies by their code, the first word of the message (ERR, WRONGTYPE, NOAUTH, ...).
    errors: dict[str, int] = field(default_factory=dict)

    def command(self, name: str) -> CommandStat:
        stat = self.commands.get(name)
        if stat is None:
            stat = self.commands[name] = CommandStat()
        return stat

    def ran(self, name: str, seconds: float, result: Any) -> None:
        """Count a command that ran: its call, its time, and the error it replied with, if any."""
        stat = self.command(name)
        stat.calls += 1
        stat.seconds += seconds
        if isinstance(result, SimpleError):
            stat.failed_calls += 1
            self.error_replied(result.value)

    def rejected(self, name: str) -> None:
        self.command(name).rejected_calls += 1

    def error_replied(self, message: str) -> None:
        self.total_error_replies += 1
        code = message.split(" ", 1)[0]
        self.errors[code] = self.errors.get(code, 0) + 1
