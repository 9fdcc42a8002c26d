"""RESTORE with redis 7.0's options (REPLACE, ABSTTL, IDLETIME, FREQ), reading only what DUMP wrote.

fakeredis's DUMP payload is a SHA-1 checksum and a pickle of its value model, and its RESTORE unpickled whatever
a client sent with a matching checksum: any client could make the server run code. Here the payload is unpickled
with only fakeredis's value models and plain containers allowed, and the options are parsed as redis does.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from typing import Any

from fakeredis import _msgs as msgs
from fakeredis._command_args_parsing import Int
from fakeredis._commands import CommandItem
from fakeredis._helpers import OK, SimpleError, SimpleString

from cloudtwin.redis.commands.base import ServerCommandsBase

_PLAIN_BUILTINS = frozenset({"bytes", "bytearray", "dict", "float", "frozenset", "int", "list", "set", "str", "tuple"})
_PAYLOAD_ERROR = "ERR DUMP payload version or checksum are wrong"


class _ValueUnpickler(pickle.Unpickler):
    """Unpickles fakeredis value models (sorted sets, hashes, sets, streams) and nothing that could run code."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith(("fakeredis.model", "sortedcontainers")) or module == "collections":
            return super().find_class(module, name)
        if module == "builtins" and name in _PLAIN_BUILTINS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a Redis value")


def _load(payload: bytes) -> Any:
    checksum, body = payload[:20], payload[20:]
    if len(payload) < 20 or hashlib.sha1(body).digest() != checksum:
        raise SimpleError(_PAYLOAD_ERROR)
    try:
        return _ValueUnpickler(io.BytesIO(body)).load()
    except Exception:
        raise SimpleError("ERR Bad data format") from None


class DumpCommands(ServerCommandsBase):
    def restore(self, key: CommandItem, ttl: int, value: bytes, *args: bytes) -> SimpleString:
        # Overrides fakeredis's method of the same name.
        replace = absttl = False
        idle: int | None = None
        frequency: int | None = None
        index = 0
        while index < len(args):
            option, more = args[index].lower(), len(args) - index - 1
            if option == b"replace":
                replace = True
            elif option == b"absttl":
                absttl = True
            elif option == b"idletime" and more >= 1 and frequency is None:
                idle = Int.decode(args[index + 1])
                if idle < 0:
                    raise SimpleError("ERR Invalid IDLETIME value, must be >= 0")
                index += 1
            elif option == b"freq" and more >= 1 and idle is None:
                frequency = Int.decode(args[index + 1])
                if not 0 <= frequency <= 255:
                    raise SimpleError("ERR Invalid FREQ value, must be >= 0 and <= 255")
                index += 1
            else:
                raise SimpleError(msgs.SYNTAX_ERROR_MSG)
            index += 1
        if key and not replace:
            raise SimpleError(msgs.RESTORE_KEY_EXISTS)
        if ttl < 0:
            raise SimpleError(msgs.RESTORE_INVALID_TTL_MSG)
        restored = _load(value)
        deadline = None
        if ttl:
            deadline = ttl / 1000 if absttl else (round(self._db.time * 1000) + ttl) / 1000
            if deadline <= self._db.time:
                # Already expired: redis answers OK and leaves no key (deleting the one REPLACE names).
                if key:
                    key.value = None
                return OK
        key.value = restored
        key.expireat = deadline
        db = self._db
        if idle is not None or frequency is not None:
            # Written now, so the write's own access stamp comes before the idle time and counter asked for.
            key.writeback()
            key._modified = key._expireat_modified = False
        if idle is not None:
            db.accessed[key.key] = db.time - idle
        if frequency is not None:
            db.frequency[key.key] = float(frequency)
            db.accessed[key.key] = db.time
        return OK
