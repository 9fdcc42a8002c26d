"""The slow log: commands that ran longer than `slowlog-log-slower-than` microseconds, newest first.

Entries hold what redis 7 keeps: an id, the unix time, the duration in microseconds, the arguments
(at most 32, each cut to 128 bytes, as redis cuts them), the client's address and name.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Sequence

MAX_ARGUMENTS = 32
MAX_ARGUMENT_BYTES = 128


class SlowLog:
    def __init__(self, unlogged: Collection[str]) -> None:
        # Commands redis never logs (skip_slowlog: EXEC and the like), by fakeredis's name.
        self.unlogged = unlogged
        # Microseconds; negative turns logging off, 0 logs every command.
        self.threshold = 10_000
        self.entries: deque[list] = deque(maxlen=128)
        self._next_id = 0

    def resize(self, max_len: int) -> None:
        self.entries = deque(self.entries, maxlen=max_len)

    def wants(self, command: str, seconds: float) -> bool:
        """Whether a command that took `seconds` enters the log; callers build the entry's arguments only then."""
        return 0 <= self.threshold <= seconds * 1_000_000 and command not in self.unlogged

    def record(self, now: float, seconds: float, arguments: Sequence[bytes], address: str, name: str) -> None:
        self.entries.appendleft(
            [self._next_id, int(now), int(seconds * 1_000_000), _shortened(arguments), address.encode(), name.encode()]
        )
        self._next_id += 1

    def get(self, count: int) -> list[list]:
        return list(self.entries)[: len(self.entries) if count < 0 else count]

    def reset(self) -> None:
        self.entries.clear()


def _shortened(arguments: Sequence[bytes]) -> list[bytes]:
    shown = len(arguments) if len(arguments) <= MAX_ARGUMENTS else MAX_ARGUMENTS - 1
    kept = [
        argument
        if len(argument) <= MAX_ARGUMENT_BYTES
        else argument[:MAX_ARGUMENT_BYTES] + b"... (%d more bytes)" % (len(argument) - MAX_ARGUMENT_BYTES)
        for argument in arguments[:shown]
    ]
    if shown < len(arguments):
        kept.append(b"... (%d more arguments)" % (len(arguments) - shown))
    return kept
