"""BITFIELD_RO, which fakeredis lacks: BITFIELD limited to GET, for read-only replicas and scripts."""

from __future__ import annotations

from typing import Any

from fakeredis._commands import SUPPORTED_COMMANDS
from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command


class BitmapCommands(ServerCommandsBase):
    @server_command("BITFIELD_RO", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_bitfield_ro(self, key: bytes, *args: bytes) -> Any:
        index = 0
        while index < len(args):
            if args[index].lower() != b"get":
                raise SimpleError("ERR BITFIELD_RO only supports the GET subcommand")
            index += 3
        reply = self._run_command(self.bitfield, SUPPORTED_COMMANDS["bitfield"], [key, *args], False)
        if isinstance(reply, SimpleError):
            raise reply
        return reply
