"""DEBUG: refused unless enabled, as redis 7 ships it (enable-debug-command no) and ElastiCache refuses it.

With `--redis-enable-debug-command yes` (or `local`, for loopback clients only) the twin answers the subcommands
test suites use to inject conditions: ERROR (reply with any error, e.g. LOADING), SLEEP (block the whole server,
as redis does), OBJECT (a key's encoding and idle time) and RELOAD (a no-op: the twin keeps no file to reload).
"""

from __future__ import annotations

import time
from typing import Any

from fakeredis._helpers import OK, SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.object import encoding
from cloudtwin.redis.commands.registry import help_reply, server_command

_NOT_ALLOWED = (
    'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a '
    "local connection, otherwise you need to set this option in the configuration file, and then restart the server."
)
_LOOPBACK_PREFIXES = ("127.", "::1:", "[::1]:")


def _seconds(text: bytes) -> float:
    # redis reads the argument with atof: anything unparsable is 0.
    try:
        return max(float(text), 0.0)
    except ValueError:
        return 0.0


class DebugCommands(ServerCommandsBase):
    @server_command("DEBUG", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_debug(self, subcommand: bytes, *args: bytes) -> Any:
        allowed = self.engine.enable_debug_command
        if allowed == "no" or (allowed == "local" and not self.connection.address.startswith(_LOOPBACK_PREFIXES)):
            raise SimpleError(_NOT_ALLOWED)
        name = subcommand.lower()
        if name == b"help" and not args:
            return help_reply(
                "DEBUG",
                [
                    "ERROR <string>",
                    "    Return a Redis protocol error with <string> as message.",
                    "OBJECT <key>",
                    "    Show low level info about `key` and associated value.",
                    "RELOAD",
                    "    Save the RDB on disk and reload it back to memory (the twin has none: a no-op).",
                    "SLEEP <seconds>",
                    "    Stop the server for <seconds>. Decimals allowed.",
                ],
            )
        if name == b"error" and len(args) == 1:
            raise SimpleError(args[0].decode(errors="replace"))
        if name == b"sleep" and len(args) == 1:
            # The whole server stops, as redis' DEBUG SLEEP stops its event loop.
            time.sleep(_seconds(args[0]))
            return OK
        if name == b"object" and len(args) == 1:
            return self._debug_object(args[0])
        if name == b"reload":
            return OK
        raise SimpleError(
            f"ERR unknown subcommand or wrong number of arguments for '{subcommand.decode(errors='replace')}'. "
            "Try DEBUG HELP."
        )

    def _debug_object(self, key: bytes) -> Any:
        db = self._db
        item = db.peek(key)
        if item is None:
            raise SimpleError("ERR no such key")
        idle = int(db.time - db.accessed.get(key, db.time))
        return (
            f"Value at:0x{id(item.value):x} refcount:1 encoding:{encoding(item.value)} serializedlength:"
            f"{len(item.value) + 1 if isinstance(item.value, bytes) else len(item.value)} lru:0 lru_seconds_idle:{idle}"
        ).encode()
