"""A broker someone else runs (a CI service container, a shared dev broker), given by address."""

from __future__ import annotations

from cloudtwin.kafka.listeners import PLAINTEXT, plaintext_only


class ExternalBroker:
    backend = "external"

    def __init__(self, address: str) -> None:
        self.bootstrap = address
        self.tls = None
        self.kafka_version = None  # not known: MSK's DescribeCluster shows the requested one
        self.unavailable_listeners = plaintext_only(self.backend)

    @property
    def listeners(self) -> dict[str, str]:
        return {PLAINTEXT.name: self.bootstrap}

    def start(self) -> None:
        """Nothing to start; readiness is a metadata request like for every backend."""

    def exit_reason(self) -> str | None:
        return None

    def stop(self) -> None:
        """Not ours to stop."""
