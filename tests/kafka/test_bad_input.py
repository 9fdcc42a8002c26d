"""Every way Kafka can fail to start ends in a message that names the cause and the fix."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka import probes
from cloudtwin.kafka import service as kafka_service_module
from cloudtwin.kafka.choice import choose
from cloudtwin.kafka.cluster import JvmCluster
from cloudtwin.kafka.jars import KafkaJars
from cloudtwin.kafka.service import KafkaService
from cloudtwin.process import Emulator
from cloudtwin.service import ServiceStartError


@pytest.mark.parametrize("setting", ["bogus", "jvm=1", "external", "external=nohost", "external=host:99999"])
def test_a_bad_backend_setting_names_the_valid_ones(setting):
    with pytest.raises(ServiceStartError) as caught:
        choose(setting)

    assert "--kafka" in str(caught.value)


def test_an_unknown_backend_fails_the_start_and_stops_the_aws_endpoint():
    emulator = Emulator(Settings(aws_port=0, redis_port=-1, kafka="bogus"))
    with pytest.raises(ServiceStartError, match="unknown Kafka backend 'bogus'"):
        emulator.start()

    assert emulator.health()["aws"]["up"] is False


def test_auto_without_docker_or_java_turns_kafka_off_and_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(probes, "docker_engine", lambda: probes.Probe(False, "no Docker engine"))
    monkeypatch.setattr(probes, "java_runtime", lambda: probes.Probe(False, "no Java runtime"))
    service = KafkaService(Settings(kafka="auto"))

    service.start()

    assert service.health()["state"] == "off"
    assert "no Docker engine; no Java runtime" in service.banner()
    assert "--kafka external=HOST:PORT" in service.banner()
    with pytest.raises(ServiceStartError, match="Kafka is off"):
        service.wait_ready(1)


def test_auto_prefers_docker_then_java(monkeypatch):
    monkeypatch.setattr(probes, "docker_engine", lambda: probes.Probe(False, "no Docker engine"))
    monkeypatch.setattr(probes, "java_runtime", lambda: probes.Probe(True, "Java 17"))
    assert choose("auto").backend == "jvm"

    monkeypatch.setattr(probes, "docker_engine", lambda: probes.Probe(True, "Docker answers"))
    assert choose("auto").backend == "redpanda"
    assert choose("external=broker:9092").backend == "external"


def test_a_port_in_use_is_refused_before_anything_starts():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        service = KafkaService(Settings(kafka="jvm", kafka_port=port))

        with pytest.raises(ServiceStartError) as caught:
            service.start()

    message = str(caught.value)
    assert f"port {port}" in message and "--kafka-port" in message


def test_redpanda_without_docker_is_refused_before_anything_starts(monkeypatch):
    monkeypatch.setattr(probes, "docker_engine", lambda: probes.Probe(False, "no Docker engine answers"))

    with pytest.raises(ServiceStartError) as caught:
        KafkaService(Settings(kafka="redpanda", kafka_port=0)).start()

    assert "needs a Docker engine: no Docker engine answers" in str(caught.value)
    assert "--kafka jvm" in str(caught.value)


def test_a_missing_java_fails_the_start_with_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(probes, "java_runtime", lambda: probes.Probe(False, "no Java runtime"))
    service = KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_cache_dir=str(tmp_path)))
    service.start()

    with pytest.raises(ServiceStartError, match="needs Java 17"):
        service.wait_ready(30)
    assert service.health()["state"] == "failed"
    service.stop()


def fake_maven(tmp_path: Path, script: str) -> str:
    path = tmp_path / "mvn"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_a_maven_failure_names_its_error_and_the_fix(monkeypatch, tmp_path):
    error = "[ERROR] Failed to execute goal: Could not resolve dependencies: Network is unreachable"
    monkeypatch.setattr(probes, "maven_executable", lambda: fake_maven(tmp_path, f"echo '{error}'; exit 1"))
    jars = KafkaJars(tmp_path / "cache")

    with pytest.raises(ServiceStartError) as caught:
        jars.ensure()

    message = str(caught.value)
    assert "Network is unreachable" in message and "Maven Central" in message
    assert not jars.cached


def test_a_missing_maven_says_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setattr(probes, "maven_executable", lambda: None)

    with pytest.raises(ServiceStartError, match="install Maven"):
        KafkaJars(tmp_path).ensure()


def test_download_progress_is_reported(monkeypatch, tmp_path):
    lines = "\n".join(
        f"echo '[INFO] Downloaded from central: https://repo/a{n}.jar (2.5 MB at 1 MB/s)'" for n in range(3)
    )
    monkeypatch.setattr(probes, "maven_executable", lambda: fake_maven(tmp_path, lines))
    reports: list[str] = []

    with pytest.raises(ServiceStartError, match="did not resolve"):  # the fake resolves no Kafka jar
        KafkaJars(tmp_path / "cache").ensure(reports.append)

    assert reports[0].startswith("downloading Apache Kafka")
    assert "3 files, 7.5 MB" in reports[-1]


class DyingBroker:
    backend = "jvm"
    bootstrap = "127.0.0.1:1"
    listeners = {"PLAINTEXT": bootstrap}
    unavailable_listeners: dict[str, str] = {}
    tls = None
    kafka_version = None

    def __init__(self) -> None:
        self.reason: str | None = None

    def start(self) -> None:
        pass

    def exit_reason(self) -> str | None:
        return self.reason

    def stop(self) -> None:
        pass


class IdleAdmin:
    def close(self) -> None:
        pass


def test_a_broker_that_dies_shows_as_down_with_the_reason(monkeypatch):
    broker = DyingBroker()
    monkeypatch.setattr(KafkaService, "_make_broker", lambda self, choice: broker)
    monkeypatch.setattr(kafka_service_module.TopicAdmin, "connect", lambda *args: IdleAdmin())
    monkeypatch.setattr(kafka_service_module, "WATCH_SECONDS", 0.01)
    service = KafkaService(Settings(kafka="jvm"))
    service.start()
    service.wait_ready(5)
    assert service.health()["up"] is True

    broker.reason = "the Kafka JVM exited with code 137: OutOfMemoryError"
    service._thread.join(5)

    health = service.health()
    assert (health["up"], health["state"]) == (False, "down")
    assert "code 137" in health["error"] and "restart" in health["error"]
    service.stop()


def test_the_jvm_broker_gets_the_configured_niceness_and_a_bad_one_is_refused():
    service = KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_nice=7))
    broker = service._make_broker(choose("jvm"))
    assert isinstance(broker, JvmCluster) and [node.nice for node in broker.nodes] == [7]
    assert Settings().kafka_nice > 0, "by default the broker must not compete with the endpoints"

    with pytest.raises(ServiceStartError, match="--kafka-nice"):
        KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_nice=-5)).start()
