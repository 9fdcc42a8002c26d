"""Which Kafka backend to run: parse `--kafka` and, for `auto`, pick one and say why."""

from __future__ import annotations

from dataclasses import dataclass

from cloudtwin.kafka import probes
from cloudtwin.service import ServiceStartError

BACKENDS = ("auto", "redpanda", "jvm", "external=HOST:PORT", "off")
ENABLE_HINT = (
    "to enable Kafka, start a Docker engine (Redpanda), install Java 17+ and Maven (Apache Kafka on the JVM), "
    "or pass --kafka external=HOST:PORT"
)


@dataclass(frozen=True)
class BackendChoice:
    backend: str
    """"redpanda", "jvm", "external" or "off"."""
    reason: str
    address: str | None = None
    """HOST:PORT of an external broker."""


def parse_setting(value: str) -> BackendChoice | None:
    """The backend a non-auto setting names; None for auto. Raises ServiceStartError on a bad value."""
    text = value.strip()
    name, _, address = text.partition("=")
    name = name.lower()
    if name == "auto" and not address:
        return None
    if name in ("redpanda", "jvm", "off") and not address:
        return BackendChoice(name, "chosen with --kafka")
    if name == "external":
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ServiceStartError(
                f"--kafka {value!r}: an external broker is given as external=HOST:PORT, e.g. external=localhost:9092"
            )
        return BackendChoice("external", "chosen with --kafka", address)
    raise ServiceStartError(
        f"unknown Kafka backend {value!r} (CLOUDTWIN_KAFKA / --kafka): use one of {', '.join(BACKENDS)}"
    )


def choose(value: str) -> BackendChoice:
    """The backend to run for a `--kafka` setting, probing Docker and Java only for auto."""
    named = parse_setting(value)
    if named is not None:
        return named
    docker = probes.docker_engine()
    if docker.ok:
        return BackendChoice("redpanda", docker.detail)
    java = probes.java_runtime()
    if java.ok:
        return BackendChoice("jvm", f"{docker.detail}; {java.detail}")
    return BackendChoice("off", f"{docker.detail}; {java.detail}; {ENABLE_HINT}")
