"""OBJECT ENCODING | REFCOUNT | IDLETIME | FREQ | HELP: how redis 7.0 would hold a key, read without touching it.

ENCODING follows redis 7.0's rules and default thresholds (`*-max-listpack-*`, `set-max-intset-entries`)
from the key's current contents. Redis never converts a value back to its compact encoding when it
shrinks; cloudtwin does not remember the history, so it answers as for a value built as it is now.
"""

from __future__ import annotations

from typing import Any

from fakeredis._helpers import SimpleError
from fakeredis.model import Hash, XStream, ZSet

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import help_reply, server_command
from cloudtwin.redis.database import decayed

# redis.conf defaults of redis 7.0.
LISTPACK_ENTRIES = 128
LISTPACK_VALUE = 64
INTSET_ENTRIES = 512
EMBSTR_LIMIT = 44
# Integers below this are shared objects in redis, reported with refcount INT_MAX (unless an LRU/LFU policy needs
# per-object access data).
SHARED_INTEGERS = 10_000


class ObjectCommands(ServerCommandsBase):
    @server_command("OBJECT ENCODING", fixed=(bytes,))
    def cloudtwin_object_encoding(self, key: bytes) -> Any:
        item = self._db.peek(key)
        return None if item is None else encoding(item.value).encode()

    @server_command("OBJECT REFCOUNT", fixed=(bytes,))
    def cloudtwin_object_refcount(self, key: bytes) -> Any:
        item = self._db.peek(key)
        if item is None:
            return None
        number = _as_integer(item.value) if isinstance(item.value, bytes) else None
        shared = (
            number is not None
            and 0 <= number < SHARED_INTEGERS
            and not (self.engine.maxmemory and self.engine.config["maxmemory-policy"].endswith(("lru", "lfu")))
        )
        return 2**31 - 1 if shared else 1

    @server_command("OBJECT IDLETIME", fixed=(bytes,))
    def cloudtwin_object_idletime(self, key: bytes) -> Any:
        item = self._db.peek(key)
        if item is None:
            return None
        if self.engine.config["maxmemory-policy"].endswith("lfu"):
            raise SimpleError(
                "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
                "between policies at runtime LRU and LFU data will take some time to adjust."
            )
        db = self._db
        return int(db.time - db.accessed.get(key, db.time))

    @server_command("OBJECT FREQ", fixed=(bytes,))
    def cloudtwin_object_freq(self, key: bytes) -> Any:
        item = self._db.peek(key)
        if item is None:
            return None
        if not self.engine.config["maxmemory-policy"].endswith("lfu"):
            raise SimpleError(
                "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
                "switching between policies at runtime LRU and LFU data will take some time to adjust."
            )
        db = self._db
        return int(decayed(db.frequency.get(key, 0.0), db.time - db.accessed.get(key, db.time)))

    @server_command("OBJECT HELP")
    def cloudtwin_object_help(self) -> Any:
        return help_reply(
            "OBJECT",
            [
                "ENCODING <key>",
                "    Return the kind of internal representation used in order to store the value",
                "    associated with a <key>.",
                "FREQ <key>",
                "    Return the access frequency index of the <key>. The returned integer is",
                "    proportional to the logarithm of the recent access frequency of the key.",
                "IDLETIME <key>",
                "    Return the idle time of the <key>, that is the approximated number of",
                "    seconds elapsed since the last access to the key.",
                "REFCOUNT <key>",
                "    Return the number of references of the value associated with the specified",
                "    <key>.",
            ],
        )


def encoding(value: Any) -> str:
    if isinstance(value, bytes):
        if len(value) <= 20 and _as_integer(value) is not None:
            return "int"
        return "embstr" if len(value) <= EMBSTR_LIMIT else "raw"
    if isinstance(value, list):
        return "quicklist"
    if isinstance(value, Hash):
        fits = len(value) <= LISTPACK_ENTRIES and all(
            len(field) <= LISTPACK_VALUE and len(content) <= LISTPACK_VALUE for field, content in value.items()
        )
        return "listpack" if fits else "hashtable"
    if isinstance(value, ZSet):
        fits = len(value) <= LISTPACK_ENTRIES and all(len(member) <= LISTPACK_VALUE for member in value)
        return "listpack" if fits else "skiplist"
    if isinstance(value, XStream):
        return "stream"
    members = list(value)
    if len(members) <= INTSET_ENTRIES and all(_as_integer(member) is not None for member in members):
        return "intset"
    return "hashtable"


def _as_integer(value: bytes) -> int | None:
    """The integer a string spells in canonical form (no sign but '-', no leading zeros, 64-bit), as redis' string2ll
    accepts it; None otherwise."""
    try:
        number = int(value)
    except ValueError:
        return None
    if b"%d" % number != value or not -(2**63) <= number < 2**63:
        return None
    return number
