"""The session's twin as the plugin's hooks and fixtures reach it: in this process, or at --cloudtwin-endpoint.

Both ways go through the admin API (the in-process emulator serves it too), so the reset marker,
the clock and the failure report behave the same against a CI service container as in-process.
"""

from __future__ import annotations

import time

import pytest

from cloudtwin.admin_client import AdminClient


class TwinError(Exception):
    """The twin answered a request of the plugin with an error."""


class Twin:
    def __init__(self, endpoint: str, external: bool) -> None:
        self.endpoint = endpoint
        self.external = external
        self.admin = AdminClient(endpoint)
        self._not_a_cloudtwin: str | None | bool = False  # False: not asked yet
        self.recording_asked = False
        """Whether the failure report has asked this twin to keep its request log."""

    def not_a_cloudtwin(self) -> str | None:
        """Why the target is no cloudtwin (a real AWS endpoint, say), or None; asked once."""
        if self._not_a_cloudtwin is False:
            self._not_a_cloudtwin = self.admin.is_cloudtwin()
        return self._not_a_cloudtwin  # type: ignore[return-value]

    def get(self, route: str, **params: object) -> dict:
        return _checked(self.admin.get(route, **params))

    def post(self, route: str, document: dict | None = None) -> dict:
        return _checked(self.admin.post(route, document))

    def reset(self, service: str | None = None) -> list[str]:
        return self.post("reset", {"service": service} if service else {})["reset"]


def _checked(document: dict) -> dict:
    if "error" in document:
        raise TwinError(document["error"])
    return document


class RemoteClock:
    """The clock of a running cloudtwin, moved through its admin API; the same methods as `cloudtwin.clock`."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin

    def now(self) -> float:
        return self.snapshot()["now"]

    @property
    def frozen(self) -> bool:
        return self.snapshot()["frozen"]

    def snapshot(self) -> dict:
        return self.twin.get("clock")

    def freeze(self, at: float | None = None) -> float:
        return self._move(freeze=True if at is None else float(at))["now"]

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        return self._move(advance=float(seconds))["now"]

    def unfreeze(self) -> None:
        self._move(unfreeze=True)

    def reset(self) -> None:
        """Back to wall time."""
        self._move(reset=True)

    def _move(self, **change: object) -> dict:
        try:
            return self.twin.post("clock", change)
        except TwinError as exc:
            raise ValueError(str(exc)) from None

    def restorer(self):
        """A function that puts the clock back as it is now: frozen at the same time, or running as far ahead."""
        before = self.snapshot()
        ahead = before["now"] - time.time()

        def restore() -> None:
            self.reset()
            if before["frozen"]:
                self.freeze(before["now"])
            elif ahead > 1.0:  # someone ran it ahead (cloudtwin clock advance) before this test
                self.advance(ahead)

        return restore


def session_twin(request: pytest.FixtureRequest) -> Twin:
    """The session's twin; the in-process emulator starts here if nothing has started it yet."""
    twin = external_twin(request.config)
    if twin is None:
        twin = running_twin(request.config)
    if twin is None:
        twin = request.config.stash[_TWIN] = Twin(request.getfixturevalue("cloudtwin").aws_endpoint, external=False)
    return twin


def register_in_process(config: pytest.Config, endpoint: str) -> Twin:
    """The session's in-process emulator has started: hooks may reach it from now on."""
    twin = config.stash[_TWIN] = Twin(endpoint, external=False)
    twin._not_a_cloudtwin = None
    return twin


def external_twin(config: pytest.Config) -> Twin | None:
    """The twin at --cloudtwin-endpoint, or None without one."""
    from cloudtwin.pytest_plugin.plugin import cloudtwin_option

    twin = config.stash.get(_TWIN, None)
    if twin is None:
        external = cloudtwin_option(config, "endpoint")
        if not external:
            return None
        twin = config.stash[_TWIN] = Twin(external.rstrip("/"), external=True)
    return twin if twin.external else None


def running_twin(config: pytest.Config) -> Twin | None:
    """The session's twin if a fixture has reached it already; None rather than starting one."""
    return config.stash.get(_TWIN, None)


_TWIN = pytest.StashKey[Twin]()
