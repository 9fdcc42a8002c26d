"""The Redpanda backend: its container configuration without Docker, and a real broker where Docker answers."""

from __future__ import annotations

import re

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka import probes
from cloudtwin.kafka.redpanda import KAFKA_PORT_IN_CONTAINER, RedpandaBroker, container_class, start_script
from cloudtwin.kafka.service import KafkaService


class NoDocker:
    """Stands in for testcontainers' Docker client: building a container must not need an engine."""

    def __init__(self, **kwargs) -> None:
        pass


@pytest.fixture
def offline_container(monkeypatch):
    import testcontainers.core.container

    monkeypatch.setattr(testcontainers.core.container, "DockerClient", NoDocker)

    def build(port: int = 0):
        return RedpandaBroker(Settings().redpanda_image, port, Settings().kafka_start_timeout).build_container()

    return build


def test_the_container_class_comes_from_testcontainers_community_module():
    assert container_class().__mro__[1].__module__.startswith("testcontainers.community.kafka")


def test_the_pinned_image_is_newer_than_the_modules_default():
    image = Settings().redpanda_image
    major = int(re.search(r":v(\d+)\.", image).group(1))

    assert image.startswith("docker.redpanda.com/redpandadata/redpanda:v")
    assert major >= 24  # testcontainers' default is v23.1.13


def test_the_start_timeout_survives_a_loaded_ci_machine():
    assert Settings().kafka_start_timeout >= 120


def test_redpanda_starts_in_dev_container_mode_on_one_core_advertising_the_hosts_address():
    script = start_script("docker-host.internal", 32801)

    assert "--mode dev-container" in script
    assert "--smp 1" in script
    assert "OUTSIDE://docker-host.internal:32801" in script
    assert f"OUTSIDE://0.0.0.0:{KAFKA_PORT_IN_CONTAINER}" in script


def test_the_start_script_names_the_mapped_port_the_host_dials(offline_container, monkeypatch):
    container = offline_container()
    written = {}
    monkeypatch.setattr(container, "get_container_host_ip", lambda: "localhost")
    monkeypatch.setattr(container, "get_exposed_port", lambda port: 49153 if port == KAFKA_PORT_IN_CONTAINER else 1)
    monkeypatch.setattr(container, "create_file", lambda content, path: written.update({path: content.decode()}))

    container.tc_start()

    [script] = written.values()
    assert "OUTSIDE://localhost:49153" in script


def test_a_fixed_port_is_bound_and_zero_lets_docker_choose(offline_container):
    assert offline_container(9092).ports[str(KAFKA_PORT_IN_CONTAINER)] == 9092
    assert offline_container(0).ports[str(KAFKA_PORT_IN_CONTAINER)] is None


def test_the_container_runs_the_pinned_image(offline_container):
    assert offline_container().image.endswith(Settings().redpanda_image)


docker = probes.docker_engine()


@pytest.mark.skipif(not docker.ok, reason=f"Redpanda needs a Docker engine: {docker.detail}")
def test_a_redpanda_broker_produces_and_consumes():
    from kafka import KafkaConsumer, KafkaProducer

    service = KafkaService(Settings(kafka="redpanda", kafka_port=0))
    service.start()
    try:
        bootstrap = service.wait_ready()
        assert service.admin is not None
        service.admin.create_topic("redpanda-roundtrip", partitions=2)
        producer = KafkaProducer(bootstrap_servers=bootstrap)
        producer.send("redpanda-roundtrip", key=b"k", value=b"v")
        producer.flush()
        producer.close()
        consumer = KafkaConsumer(
            "redpanda-roundtrip", bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=30_000
        )
        assert next(iter(consumer)).value == b"v"
        consumer.close()
        assert service.health()["backend"] == "redpanda"
    finally:
        service.stop()
