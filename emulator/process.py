"""The Emulator: every service in one process, started and stopped together."""

from __future__ import annotations

import logging

from emulator.clock import Clock
from emulator.clock import clock as default_clock
from emulator.config import Settings
from emulator.service import Service, ServiceStartError

log = logging.getLogger(__name__)


class Emulator:
    """Owns the services. Usable in-process (tests, the pytest plugin) or from `cloudtwin serve`."""

    def __init__(self, settings: Settings | None = None, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        self.clock = clock or default_clock
        self.services: dict[str, Service] = {}
        self.failures: dict[str, str] = {}
        self._build_services()

    def _build_services(self) -> None:
        from emulator.http.service import AwsService

        self.services["aws"] = AwsService(self)
        if self.settings.redis_port >= 0:
            from emulator.redis.service import redis_service

            self.services["redis"] = redis_service(self)
        if self.settings.kafka != "off":
            from emulator.kafka.service import KafkaService

            self.services["kafka"] = KafkaService(self.settings)
        from emulator.control import install_control_planes

        install_control_planes(self)

    def start(self) -> Emulator:
        """Start every service. The AWS endpoint must come up; the others may fail alone."""
        for name, service in self.services.items():
            try:
                service.start()
            except ServiceStartError as exc:
                if name == "aws":
                    self.stop()
                    raise
                self.failures[name] = str(exc)
                log.warning("%s did not start: %s", name, exc)
        return self

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
        """Reset one service by name, or all of them. Returns the names reset."""
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
