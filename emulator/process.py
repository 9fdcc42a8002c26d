"""The Emulator: every service in one process, started and stopped together."""

from __future__ import annotations

import logging
import threading

from cloudtwin.clock import Clock
from cloudtwin.clock import clock as default_clock
from cloudtwin.config import Settings
from cloudtwin.service import Service, ServiceStartError

log = logging.getLogger(__name__)


class Emulator:
    """Owns the services. Usable in-process (tests, the pytest plugin) or from `cloudtwin serve`."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock or default_clock
        self.services: dict[str, Service] = {}
        self.failures: dict[str, str] = {}
        """Best-effort services (`--kafka auto`) that did not start, and why."""
        self.fatal_error: str | None = None
        """Why a required service that starts in the background (Kafka) could not; set with `broken`."""
        self.broken = threading.Event()
        self._build_services()

    def _build_services(self) -> None:
        from cloudtwin.http.service import AwsService

        self.services["aws"] = AwsService(self)
        if self.settings.redis_port >= 0:
            from cloudtwin.redis.service import redis_service

            self.services["redis"] = redis_service(self)
        if self.settings.kafka != "off":
            from cloudtwin.kafka.service import KafkaService

            self.services["kafka"] = KafkaService(self.settings, on_start_failure=self._background_failure)
        from cloudtwin.control import install_control_planes

        install_control_planes(self)

    def start(self) -> Emulator:
        """Start every service; a service asked for that cannot start stops the rest and raises.

        Only a best-effort service (`--kafka auto`) may fail alone: it lands in `failures` and health.
        A half-started twin would let apps talk to whatever else holds a port.
        """
        for name, service in self.services.items():
            try:
                service.start()
            except ServiceStartError as exc:
                if not _best_effort(service):
                    self.stop()
                    if name == "aws":
                        raise
                    raise ServiceStartError(f"{name}: {exc}{_TURN_OFF.get(name, '')}") from None
                self.failures[name] = str(exc)
                log.warning("%s did not start: %s", name, exc)
        return self

    def _background_failure(self, name: str, message: str) -> None:
        """A service that starts in the background could not: fatal unless it is best-effort."""
        if _best_effort(self.services[name]):
            return  # its health says so; the service itself told the user
        self.fatal_error = f"{name}: {message}"
        self.broken.set()

    def stop(self) -> None:
        for service in reversed(list(self.services.values())):
            try:
                service.stop()
            except Exception:  # a failing stop must not keep the others running
                log.exception("stopping %s failed", service.name)

    def health(self) -> dict:
        report = {}
        for name, service in self.services.items():
            entry = service.health()
            if name in self.failures:
                entry = {**entry, "up": False, "error": self.failures[name]}
            report[name] = entry
        return report

    def reset(self, service: str | None = None) -> list[str]:
        """Reset one service by name, or all of them. Returns the names reset.

        "sqs" is the AWS endpoint's queues alone; "aws" is those and every moto resource.
        """
        if service == "sqs":
            self.services["aws"].sqs.reset()  # type: ignore[attr-defined]
            return ["sqs"]
        if service is not None and service not in self.services:
            raise KeyError(service)
        names = [service] if service else list(self.services)
        for name in names:
            self.services[name].reset()
        return names

    @property
    def aws_endpoint(self) -> str:
        return self.services["aws"].endpoint  # type: ignore[attr-defined]

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# How to run without a service, for the message of one that could not start.
_TURN_OFF = {"redis": "; --redis-port -1 runs without Redis", "kafka": "; --kafka off runs without Kafka"}


def _best_effort(service: Service) -> bool:
    return getattr(service, "best_effort", False)
