"""MODULE: the twin loads no modules: MODULE LIST is empty, and loading is refused as redis 7 refuses it by default."""

from __future__ import annotations

from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command

_NOT_ALLOWED = (
    'ERR MODULE command not allowed. If the enable-module-command option is set to "local", you can run it from a '
    "local connection, otherwise you need to set this option in the configuration file, and then restart the server."
)


class ModuleCommands(ServerCommandsBase):
    @server_command("MODULE LIST")
    def cloudtwin_module_list(self) -> list:
        return []

    @server_command("MODULE LOAD", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_module_load(self, *args: bytes) -> None:
        raise SimpleError(_NOT_ALLOWED)

    @server_command("MODULE LOADEX", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_module_loadex(self, *args: bytes) -> None:
        raise SimpleError(_NOT_ALLOWED)

    @server_command("MODULE UNLOAD", fixed=(bytes,))
    def cloudtwin_module_unload(self, name: bytes) -> None:
        raise SimpleError(_NOT_ALLOWED)
