"""Letting time pass on a target: the emulator's clock when the target is cloudtwin, else real waiting."""

from __future__ import annotations

import json
import time
import urllib.request


class TargetTime:
    """Moves the clock of the cloudtwin at `endpoint` (frozen while in use); with no twin, sleeps."""

    def __init__(self, endpoint: str | None) -> None:
        self.endpoint = endpoint
        self.emulated = endpoint is not None and self._is_cloudtwin()

    def _is_cloudtwin(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/_cloudtwin/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def _clock(self, document: dict) -> None:
        request = urllib.request.Request(
            f"{self.endpoint}/_cloudtwin/clock",
            data=json.dumps(document).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def start(self) -> None:
        if self.emulated:
            self._clock({"freeze": True})

    def advance(self, seconds: float) -> None:
        if self.emulated:
            self._clock({"advance": seconds})
        else:
            time.sleep(seconds)

    def stop(self) -> None:
        if self.emulated:
            self._clock({"reset": True})
