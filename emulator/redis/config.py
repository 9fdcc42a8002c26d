"""The CONFIG parameters the Redis endpoint supports, with redis-server's names, defaults and validation."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

from fakeredis._helpers import SimpleError

EVICTION_POLICIES = (
    "noeviction",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
)

_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
_KEYSPACE_EVENT_FLAGS = set("KEg$lshzxetdmnA")


def parse_memory(text: str) -> int:
    """'100mb' -> 104857600, as redis.conf reads sizes."""
    lowered = text.strip().lower()
    digits = lowered.rstrip("kmgb")
    unit = lowered[len(digits) :]
    if not digits.isdigit() or unit not in _UNITS:
        raise ValueError(text)
    return int(digits) * _UNITS[unit]


def _memory(value: str) -> str:
    try:
        return str(parse_memory(value))
    except ValueError:
        raise ValueError("argument must be a memory value") from None


def _policy(value: str) -> str:
    lowered = value.lower()
    if lowered not in EVICTION_POLICIES:
        raise ValueError(
            "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
            "allkeys-lru, allkeys-lfu, allkeys-random, noeviction"
        )
    return lowered


def _events(value: str) -> str:
    if not set(value) <= _KEYSPACE_EVENT_FLAGS:
        raise ValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
    return value


def _positive_int(value: str) -> str:
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(
            "argument must be greater than 0" if value.isdigit() else "argument couldn't be parsed into an integer"
        )
    return value


def _between(low: int, high: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        number = int(_integer(value))
        if not low <= number <= high:
            raise ValueError(f"argument must be between {low} and {high} inclusive")
        return str(number)

    return check


def _integer(value: str) -> str:
    if not value.lstrip("-").isdigit():
        raise ValueError("argument couldn't be parsed into an integer")
    return str(int(value))


def _any(value: str) -> str:
    return value


def _bulk_len(value: str) -> str:
    size = int(_memory(value))
    if size < 1024 * 1024:
        raise ValueError("argument must be between 1048576 and 9223372036854775807 inclusive")
    return str(size)


_PARAMETERS: dict[str, tuple[str, Callable[[str], str]]] = {
    "requirepass": ("", _any),
    "maxmemory": ("0", _memory),
    "maxmemory-policy": ("noeviction", _policy),
    "maxmemory-samples": ("5", _positive_int),
    "notify-keyspace-events": ("", _events),
    "proto-max-bulk-len": (str(512 * 1024 * 1024), _bulk_len),
    "databases": ("16", _positive_int),
    "appendonly": ("no", _any),
    "save": ("", _any),
    "maxclients": ("10000", _positive_int),
    # Seconds a client may stay idle before the server closes it; 0 never (ElastiCache's parameter of the same name).
    "timeout": ("0", _between(0, 2**31 - 1)),
    # Microseconds a command must take to enter the slow log (negative: none do); how many entries it keeps.
    "slowlog-log-slower-than": ("10000", _integer),
    "slowlog-max-len": ("128", _between(0, 2**63 - 1)),
}


def _yes_no(value: str) -> str:
    lowered = value.lower()
    if lowered not in ("yes", "no"):
        raise ValueError("argument must be 'yes' or 'no'")
    return lowered


_NON_NEGATIVE = _between(0, 2**63 - 1)
_NON_NEGATIVE_INT = _between(0, 2**31 - 1)


def _size(value: str) -> str:
    size = int(_memory(value))
    if size > 2**63 - 1:
        raise ValueError("argument must be between 0 and 9223372036854775807 inclusive")
    return str(size)


# Parameters test suites and clients commonly set: validated and reported as redis 7.0 does, with its built-in
# defaults. The twin holds values its own way, so they change no behaviour but what CONFIG GET reports.
_PARAMETERS.update(
    {
        "hash-max-listpack-entries": ("512", _NON_NEGATIVE),
        "hash-max-listpack-value": ("64", _NON_NEGATIVE),
        "list-max-listpack-size": ("-2", _between(-(2**31), 2**31 - 1)),
        "list-compress-depth": ("0", _NON_NEGATIVE_INT),
        "set-max-intset-entries": ("512", _NON_NEGATIVE),
        "zset-max-listpack-entries": ("128", _NON_NEGATIVE),
        "zset-max-listpack-value": ("64", _NON_NEGATIVE),
        "stream-node-max-entries": ("100", _NON_NEGATIVE),
        "stream-node-max-bytes": ("4096", _size),
        "hll-sparse-max-bytes": ("3000", _size),
        "lfu-log-factor": ("10", _NON_NEGATIVE_INT),
        "lfu-decay-time": ("1", _NON_NEGATIVE_INT),
        "busy-reply-threshold": ("5000", _NON_NEGATIVE),
        "latency-monitor-threshold": ("0", _NON_NEGATIVE),
        "lazyfree-lazy-user-del": ("no", _yes_no),
        "activerehashing": ("yes", _yes_no),
    }
)
# Old names redis 7.0 still answers to, for the same setting.
_ALIASES = {
    "hash-max-ziplist-entries": "hash-max-listpack-entries",
    "hash-max-ziplist-value": "hash-max-listpack-value",
    "list-max-ziplist-size": "list-max-listpack-size",
    "zset-max-ziplist-entries": "zset-max-listpack-entries",
    "zset-max-ziplist-value": "zset-max-listpack-value",
    "lua-time-limit": "busy-reply-threshold",
}
# Reported as the emulator runs them (16 databases, no persistence); setting them is refused, not ignored.
_READ_ONLY = {"databases", "appendonly", "save"}


class ServerConfig:
    def __init__(self, on_change: Callable[[str, str], None]) -> None:
        self._values = {name: default for name, (default, _) in _PARAMETERS.items()}
        self._on_change = on_change

    def __getitem__(self, name: str) -> str:
        return self._values[name]

    def get(self, pattern: str) -> dict[str, str]:
        lowered = pattern.lower()
        found = {name: value for name, value in self._values.items() if fnmatch.fnmatchcase(name, lowered)}
        found.update(
            (alias, self._values[name]) for alias, name in _ALIASES.items() if fnmatch.fnmatchcase(alias, lowered)
        )
        return found

    def set_many(self, pairs: list[tuple[str, str]]) -> None:
        """Validate every pair first, then apply them all, as redis' CONFIG SET does."""
        checked: dict[str, str] = {}
        # redis refuses a name given twice, but takes an old name and its new one together (the last one wins).
        seen: set[str] = set()
        for given, value in pairs:
            given = given.lower()
            name = _ALIASES.get(given, given)
            if name not in _PARAMETERS:
                raise SimpleError(f"ERR Unknown option or number of arguments for CONFIG SET - '{given}'")
            if name in _READ_ONLY:
                raise _failed(given, "can't set immutable config")
            if given in seen:
                raise _failed(given, "duplicate parameter")
            seen.add(given)
            try:
                checked[name] = _PARAMETERS[name][1](value)
            except ValueError as exc:
                raise _failed(given, str(exc)) from None
        for name, value in checked.items():
            self._values[name] = value
            self._on_change(name, value)


def _failed(name: str, reason: str) -> SimpleError:
    return SimpleError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
