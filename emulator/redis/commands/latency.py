"""LATENCY LATEST | HISTORY | RESET | HELP, answered as redis answers them with latency monitoring off (its default,
`latency-monitor-threshold 0`): no events were sampled."""

from __future__ import annotations

from typing import Any

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import help_reply, server_command


class LatencyCommands(ServerCommandsBase):
    @server_command("LATENCY LATEST")
    def cloudtwin_latency_latest(self) -> Any:
        return []

    @server_command("LATENCY HISTORY", fixed=(bytes,))
    def cloudtwin_latency_history(self, event: bytes) -> Any:
        return []

    @server_command("LATENCY RESET", repeat=(bytes,))
    def cloudtwin_latency_reset(self, *events: bytes) -> Any:
        return 0

    @server_command("LATENCY HELP")
    def cloudtwin_latency_help(self) -> Any:
        return help_reply(
            "LATENCY",
            [
                "HISTORY <event>",
                "    Return time-latency samples for the <event> class.",
                "LATEST",
                "    Return the latest latency samples for all events.",
                "RESET [<event> ...]",
                "    Reset latency data of one or more <event> classes.",
                "    (default: reset all data for all event classes)",
            ],
        )
