"""CONFIG GET | SET | RESETSTAT | REWRITE over the parameters the endpoint supports."""

from __future__ import annotations

from typing import Any

from fakeredis._helpers import OK, SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command


class ConfigCommands(ServerCommandsBase):
    @server_command("CONFIG GET", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_config_get(self, *patterns: bytes) -> Any:
        found: dict[str, str] = {}
        for pattern in patterns:
            found.update(self.engine.config.get(pattern.decode(errors="replace")))
        if self._client_info.protocol_version == 3:
            return {name.encode(): value.encode() for name, value in found.items()}
        return [part.encode() for pair in found.items() for part in pair]

    @server_command("CONFIG SET", fixed=(bytes, bytes), repeat=(bytes, bytes))
    def cloudtwin_config_set(self, *args: bytes) -> Any:
        if len(args) % 2:
            raise SimpleError("ERR wrong number of arguments for 'config|set' command")
        pairs = [
            (args[i].decode(errors="replace"), args[i + 1].decode(errors="replace")) for i in range(0, len(args), 2)
        ]
        self.engine.config.set_many(pairs)
        return OK

    @server_command("CONFIG RESETSTAT")
    def cloudtwin_config_resetstat(self) -> Any:
        self.engine.reset_stats()
        return OK

    @server_command("CONFIG REWRITE")
    def cloudtwin_config_rewrite(self) -> Any:
        raise SimpleError("ERR The server is running without a config file")
