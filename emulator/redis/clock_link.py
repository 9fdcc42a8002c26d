"""Make fakeredis read the emulator clock, so TTLs, stream ids and TIME follow freeze/advance.

fakeredis calls `time.time()` through the `time` module object each of these modules imported;
swapping that name for a clock-backed stand-in redirects every call without forking fakeredis.
"""

from __future__ import annotations

import importlib
import time as real_time
from typing import Any

from cloudtwin.clock import Clock

_MODULES_READING_TIME = (
    "fakeredis._socket._base",
    "fakeredis._helpers",
    "fakeredis._core._server",
    "fakeredis.model._stream",
    "fakeredis.model._client_info",
    "fakeredis.commands_mixins.server_mixin",
    "fakeredis.commands_mixins.connection_mixin",
)


class ClockTime:
    """Quacks like the `time` module, with `time()` answered by an emulator Clock."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def time(self) -> float:
        return self._clock.now()

    def __getattr__(self, name: str) -> Any:
        return getattr(real_time, name)


def follow_clock(clock: Clock) -> None:
    stand_in = ClockTime(clock)
    for name in _MODULES_READING_TIME:
        module = importlib.import_module(name)
        module.time = stand_in  # type: ignore[attr-defined]
