"""The CONFIG parameters the Redis endpoint supports, with redis-server's names, defaults and validation."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import NamedTuple

from fakeredis._helpers import SimpleError

DEFAULT_MAXCLIENTS = 10000
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


class OutputBufferLimit(NamedTuple):
    """One client class's client-output-buffer-limit, in bytes and seconds; 0 turns a bound off."""

    hard: int
    soft: int
    soft_seconds: int


# The classes in the order CONFIG GET lists them; a replica, which the twin never has, is `slave` there.
OUTPUT_BUFFER_CLASSES = ("normal", "slave", "pubsub")
_OUTPUT_BUFFER_CLASS_NAMES = {"normal": "normal", "slave": "slave", "replica": "slave", "pubsub": "pubsub"}
DEFAULT_OUTPUT_BUFFER_LIMITS = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
_SECONDS = re.compile(r"[+-]?[0-9]+")


def parse_output_buffer_limits(text: str) -> dict[str, OutputBufferLimit]:
    """`<class> <hard> <soft> <soft seconds>` groups, as redis' CONFIG SET client-output-buffer-limit reads them:
    units allowed in sizes, `replica` meaning `slave`, a later group for a class replacing an earlier one."""
    words = text.split()
    if len(words) % 4:
        raise ValueError("Wrong number of arguments in buffer limit configuration.")
    limits: dict[str, OutputBufferLimit] = {}
    for start in range(0, len(words), 4):
        name, hard, soft, seconds = words[start : start + 4]
        client_class = _OUTPUT_BUFFER_CLASS_NAMES.get(name.lower())
        if client_class is None:
            raise ValueError("Invalid client class specified in buffer limit configuration.")
        try:
            if not _SECONDS.fullmatch(seconds) or int(seconds) < 0:
                raise ValueError(seconds)
            limits[client_class] = OutputBufferLimit(parse_memory(hard), parse_memory(soft), int(seconds))
        except ValueError:
            raise ValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") from None
    return limits


def _output_buffer_limits(value: str) -> str:
    return _render_output_buffer_limits(parse_output_buffer_limits(value))


def _render_output_buffer_limits(limits: dict[str, OutputBufferLimit]) -> str:
    return " ".join(
        f"{name} {limits[name].hard} {limits[name].soft} {limits[name].soft_seconds}"
        for name in OUTPUT_BUFFER_CLASSES
        if name in limits
    )


def _merge_output_buffer_limits(current: str, update: str) -> str:
    # CONFIG SET names some classes; the others keep their limits.
    return _render_output_buffer_limits({**parse_output_buffer_limits(current), **parse_output_buffer_limits(update)})


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
    "maxclients": (str(DEFAULT_MAXCLIENTS), _positive_int),
    # Seconds a client may stay idle before the server closes it; 0 never (ElastiCache's parameter of the same name).
    "timeout": ("0", _between(0, 2**31 - 1)),
    # Microseconds a command must take to enter the slow log (negative: none do); how many entries it keeps.
    "slowlog-log-slower-than": ("10000", _integer),
    "slowlog-max-len": ("128", _between(0, 2**63 - 1)),
    # Per class of client: disconnect at `hard` bytes of unsent replies, or past `soft` for `soft seconds` on end.
    "client-output-buffer-limit": (DEFAULT_OUTPUT_BUFFER_LIMITS, _output_buffer_limits),
}
# Parameters a CONFIG SET may change in part: the new value is merged into the current one.
_MERGED: dict[str, Callable[[str, str], str]] = {"client-output-buffer-limit": _merge_output_buffer_limits}


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
            merge = _MERGED.get(name)
            if merge is not None:
                value = merge(self._values[name], value)
            self._values[name] = value
            self._on_change(name, value)


def _failed(name: str, reason: str) -> SimpleError:
    return SimpleError(f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
