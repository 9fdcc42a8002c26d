"""Redpanda in a container through testcontainers, where a Docker engine answers.

testcontainers' reaper (Ryuk) removes the container if the emulator dies, so no guard of our own.
"""

from __future__ import annotations

from functools import cache

from cloudtwin.kafka.listeners import PLAINTEXT, plaintext_only
from cloudtwin.service import ServiceStartError

KAFKA_PORT_IN_CONTAINER = 9092
INTERNAL_PORT = 29092


@cache
def container_class() -> type:
    """testcontainers' RedpandaContainer, extended to start Redpanda with our flags."""
    try:
        from testcontainers.community.kafka import RedpandaContainer
    except ImportError:  # testcontainers before 4.15 kept it in testcontainers.kafka
        from testcontainers.kafka import RedpandaContainer

    class ConfiguredRedpanda(RedpandaContainer):
        start_flags: list[str] = []

        def tc_start(self) -> None:
            """Called once the host port is known: write the script the container waits for."""
            host = self.get_container_host_ip()
            port = int(self.get_exposed_port(KAFKA_PORT_IN_CONTAINER))
            self.create_file(start_script(host, port).encode(), RedpandaContainer.TC_START_SCRIPT)

    return ConfiguredRedpanda


def start_script(advertised_host: str, advertised_port: int) -> str:
    """dev-container mode on one core with little memory; clients on the host dial advertised_host:port."""
    flags = [
        "--mode dev-container",
        "--smp 1",
        "--memory 1G",
        "--default-log-level=warn",
        f"--kafka-addr PLAINTEXT://0.0.0.0:{INTERNAL_PORT},OUTSIDE://0.0.0.0:{KAFKA_PORT_IN_CONTAINER}",
        f"--advertise-kafka-addr PLAINTEXT://127.0.0.1:{INTERNAL_PORT},OUTSIDE://{advertised_host}:{advertised_port}",
    ]
    return "#!/bin/sh\n/usr/bin/rpk redpanda start " + " ".join(flags) + "\n"


class RedpandaBroker:
    backend = "redpanda"

    def __init__(self, image: str, port: int, start_timeout: float) -> None:
        self.image = image
        self.port = port
        """Host port for the Kafka API; 0 lets Docker pick one."""
        self.start_timeout = start_timeout
        self.container = None
        self._bootstrap: str | None = None
        self.tls = None
        self.kafka_version = None  # not known: MSK's DescribeCluster shows the requested one
        self.unavailable_listeners = plaintext_only(self.backend)

    @property
    def bootstrap(self) -> str | None:
        return self._bootstrap

    @property
    def listeners(self) -> dict[str, str]:
        return {PLAINTEXT.name: self._bootstrap} if self._bootstrap else {}

    def build_container(self):
        container = container_class()(image=self.image)
        if self.port:
            container.with_bind_ports(KAFKA_PORT_IN_CONTAINER, self.port)
        return container

    def start(self) -> None:
        try:
            self.container = self.build_container()
            self.container.start(timeout=self.start_timeout)
        except TimeoutError:
            raise ServiceStartError(
                f"Redpanda ({self.image}) was not up within {self.start_timeout:.0f} s: "
                "raise --kafka-start-timeout on a slow machine"
            ) from None
        except Exception as exc:  # the docker SDK raises many types: pull, port, engine errors
            raise ServiceStartError(
                f"cannot start Redpanda ({self.image}) in Docker: {type(exc).__name__}: {exc}; check the engine "
                "and the image name (--redpanda-image), or use --kafka jvm"
            ) from None
        self._bootstrap = self.container.get_bootstrap_server()

    def exit_reason(self) -> str | None:
        if self.container is None:
            return None
        try:
            wrapped = self.container.get_wrapped_container()
            wrapped.reload()
        except Exception as exc:  # the engine itself went away, or the container was removed
            return f"the Redpanda container is gone ({type(exc).__name__}: {exc})"
        if wrapped.status in ("exited", "dead", "removing"):
            tail = " | ".join(wrapped.logs(tail=5).decode(errors="replace").strip().splitlines())
            return f"the Redpanda container {wrapped.status}: {tail or 'no output'}"
        return None

    def stop(self) -> None:
        if self.container is not None:
            self.container.stop()
            self.container = None
