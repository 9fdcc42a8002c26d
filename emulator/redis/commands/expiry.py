"""Key expiry in whole milliseconds, as redis keeps it: a deadline is `now_ms + ttl_ms`, never rounded to seconds.

fakeredis stores deadlines as float seconds and truncates some of them (SETEX, PSETEX, GETEX) to whole seconds.
Here every deadline a command sets is snapped to its millisecond when stored, the server reads its clock in whole
milliseconds (`redis_time`), and TTL, PTTL, EXPIRETIME and PEXPIRETIME are derived from those integers the way
redis' ttlGenericCommand does.
"""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Int
from fakeredis._commands import CommandItem
from fakeredis._helpers import SimpleString

from cloudtwin.redis.commands.base import ServerCommandsBase


def redis_time(seconds: float) -> float:
    """A clock reading in whole milliseconds, as redis' mstime(), in fakeredis's float seconds."""
    return round(seconds * 1000) / 1000


class DeadlineItem(CommandItem):
    """fakeredis's CommandItem, with every deadline set on it snapped to its millisecond.

    Deadlines computed as float sums (now + seconds) can land a fraction of a microsecond either side of the
    millisecond; snapped, a key expires exactly when the millisecond clock passes its deadline.
    """

    @property  # type: ignore[override]
    def expireat(self) -> float | None:
        return self._expireat

    @expireat.setter
    def expireat(self, value: float | None) -> None:
        self._expireat = None if value is None else round(value * 1000) / 1000
        self._expireat_modified = True
        self._modified = True


def _milliseconds(seconds: float) -> int:
    return round(seconds * 1000)


class ExpiryCommands(ServerCommandsBase):
    def _deadline_in(self, milliseconds: int) -> float:
        return (_milliseconds(self._db.time) + milliseconds) / 1000

    def setex(self, key: CommandItem, seconds: int, value: bytes) -> SimpleString:
        reply = super().setex(key, seconds, value)  # type: ignore[misc]
        key.expireat = self._deadline_in(seconds * 1000)
        return reply

    def psetex(self, key: CommandItem, ms: int, value: bytes) -> SimpleString:
        reply = super().psetex(key, ms, value)  # type: ignore[misc]
        key.expireat = self._deadline_in(ms)
        return reply

    def getex(self, key: CommandItem, *args: bytes) -> Any:
        # fakeredis validates the options and then truncates the deadline to whole seconds; set it again exactly.
        reply = super().getex(key, *args)  # type: ignore[misc]
        if len(args) == 2:
            option, amount = args[0].lower(), Int.decode(args[1])
            if option == b"ex":
                key.expireat = self._deadline_in(amount * 1000)
            elif option == b"px":
                key.expireat = self._deadline_in(amount)
            elif option == b"exat":
                key.expireat = float(amount)
            elif option == b"pxat":
                key.expireat = amount / 1000
            self._delete_if_due(key)
        return reply

    def _expireat(self, key: CommandItem, timestamp: float, *args: bytes) -> int:
        # fakeredis's EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT, and then, as redis' checkAlreadyExpired: a deadline that is
        # not in the future deletes the key now (it would otherwise live until the clock moved a millisecond on).
        reply: int = super()._expireat(key, timestamp, *args)  # type: ignore[misc]
        if reply:
            self._delete_if_due(key)
        return reply

    def _delete_if_due(self, key: CommandItem) -> None:
        if key and key.expireat is not None and key.expireat <= self._db.time:
            key.value = None

    def _ttl(self, key: CommandItem, scale: float) -> int:
        if not key:
            return -2
        if key.expireat is None:
            return -1
        remaining = max(0, _milliseconds(key.expireat) - _milliseconds(self._db.time))
        # TTL rounds halves up, as redis' (ms + 500) / 1000.
        return remaining if scale == 1000.0 else (remaining + 500) // 1000

    def expiretime(self, key: CommandItem) -> int:
        if not key:
            return -2
        if key.expireat is None:
            return -1
        return (_milliseconds(key.expireat) + 500) // 1000

    def pexpiretime(self, key: CommandItem) -> int:
        if not key:
            return -2
        if key.expireat is None:
            return -1
        return _milliseconds(key.expireat)
