"""The one clock every service reads.

Wall time by default. Tests freeze it and advance it instead of sleeping; anything
waiting on the clock (long polls, expiry sweeps) is told when it moves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Clock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._lock = threading.Lock()
        self._listeners: list[Callable[[], None]] = []

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees it."""
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self, at: float | None = None) -> float:
        with self._lock:
            self._frozen_at = self.now() if at is None else float(at)
        self._moved()
        return self._frozen_at

    def unfreeze(self) -> None:
        """Let time run again from where the frozen clock stood."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None
        self._moved()

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds
        self._moved()
        return self.now()

    def reset(self) -> None:
        """Back to wall time."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None
        self._moved()

    def on_move(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener` whenever the clock is frozen, advanced or released.

        Returns a function that removes the listener again.
        """
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def _moved(self) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()

    def snapshot(self) -> dict:
        return {"now": self.now(), "frozen": self.frozen}


clock = Clock()
"""The process-wide clock. Services take a Clock argument defaulting to this one."""
