"""What every service of the emulator (AWS endpoint, Redis, Kafka) offers the process."""

from __future__ import annotations

import errno
from typing import Protocol


class Service(Protocol):
    name: str
    """Short name used in health, reset and the banner: "aws", "redis", "kafka"."""

    def start(self) -> None:
        """Start serving; raise ServiceStartError with a message a user can act on."""

    def stop(self) -> None:
        """Stop serving and release every thread, socket and child process."""

    def health(self) -> dict:
        """{"up": bool, "endpoint": str | None, "backend": str, ...}."""

    def reset(self) -> None:
        """Drop all state (queues, keys, topics) but keep serving."""

    def banner(self) -> str:
        """One line for `cloudtwin serve` to print once the service is up."""


class ServiceStartError(RuntimeError):
    """A service could not start; the message says why and how to fix it."""


def listen_error(exc: OSError, host: str, port: int, flag: str, holder: str = "") -> ServiceStartError:
    """The error to raise when binding host:port failed: for a port in use, which setting to change."""
    if exc.errno == errno.EADDRINUSE:
        env = "CLOUDTWIN_" + flag.removeprefix("--").replace("-", "_").upper()
        return ServiceStartError(
            f"port {port} on {host} is already in use{holder}: stop what holds it, "
            f"or choose another with {flag} / {env} (0 picks a free one)"
        )
    return ServiceStartError(f"cannot listen on {host}:{port}: {exc.strerror}")
