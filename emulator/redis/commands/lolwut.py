"""LOLWUT: redis 7.0 answers its version line (its art is drawn only for VERSION 5 and 6, which the twin does not
draw: it answers the version line for those too)."""

from __future__ import annotations

from fakeredis._command_args_parsing import Int

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command


class LolwutCommands(ServerCommandsBase):
    @server_command("LOLWUT", repeat=(bytes,))
    def cloudtwin_lolwut(self, *args: bytes) -> bytes:
        if len(args) >= 2 and args[0].lower() == b"version":
            Int.decode(args[1])
        return f"Redis ver. {self.engine_version}\n".encode()
