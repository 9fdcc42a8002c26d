"""MEMORY USAGE: the per-key estimate eviction and INFO's used_memory are built from."""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Int
from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command
from cloudtwin.redis.memory import estimate_key


class MemoryCommands(ServerCommandsBase):
    @server_command("MEMORY USAGE", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_memory_usage(self, key: bytes, *options: bytes) -> Any:
        if options and (len(options) != 2 or options[0].lower() != b"samples" or Int.decode(options[1]) < 0):
            raise SimpleError("ERR syntax error")
        item = self._db.get(key)
        return None if item is None else estimate_key(key, item.value)
