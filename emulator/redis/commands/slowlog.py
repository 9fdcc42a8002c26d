"""SLOWLOG GET | LEN | RESET | HELP over the server's slow log (cloudtwin.redis.slowlog)."""

from __future__ import annotations

from typing import Any

from fakeredis._helpers import OK, SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import help_reply, server_command


class SlowlogCommands(ServerCommandsBase):
    @server_command("SLOWLOG GET", repeat=(bytes,))
    def cloudtwin_slowlog_get(self, *count: bytes) -> Any:
        if len(count) > 1:
            raise SimpleError("ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.")
        wanted = 10
        if count:
            try:
                wanted = int(count[0])
            except ValueError:
                wanted = -2
            if wanted < -1:
                raise SimpleError("ERR count should be greater than or equal to -1")
        return self.engine.slowlog.get(wanted)

    @server_command("SLOWLOG LEN")
    def cloudtwin_slowlog_len(self) -> Any:
        return len(self.engine.slowlog.entries)

    @server_command("SLOWLOG RESET")
    def cloudtwin_slowlog_reset(self) -> Any:
        self.engine.slowlog.reset()
        return OK

    @server_command("SLOWLOG HELP")
    def cloudtwin_slowlog_help(self) -> Any:
        return help_reply(
            "SLOWLOG",
            [
                "GET [<count>]",
                "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
                "    Entries are made of:",
                "    id, timestamp, time in microseconds, arguments array, client IP and port,",
                "    client name",
                "LEN",
                "    Return the length of the slowlog.",
                "RESET",
                "    Reset the slowlog.",
            ],
        )
