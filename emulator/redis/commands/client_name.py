"""CLIENT GETNAME and SETNAME as redis answers them: nil for a client without a name, and names checked."""

from __future__ import annotations

from fakeredis._helpers import OK, SimpleError, SimpleString

from cloudtwin.redis.commands.base import ServerCommandsBase


class ClientNameCommands(ServerCommandsBase):
    def client_getname(self) -> bytes | None:
        # Overrides fakeredis's method of the same name, which answered an empty string.
        name: str = self._client_info.get("name", "")
        return name.encode() if name else None

    def client_setname(self, value: bytes) -> SimpleString:
        # Overrides fakeredis's method of the same name: redis takes printable ASCII but the space, or "" to clear.
        if any(byte < 0x21 or byte > 0x7E for byte in value):
            raise SimpleError("ERR Client names cannot contain spaces, newlines or special characters.")
        self._client_info["name"] = value.decode()
        return OK
