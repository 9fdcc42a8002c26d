"""A JVM broker of its own per test here: its death is noticed, and a stop leaves nothing behind."""

from __future__ import annotations

import os
import signal
import time

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka import probes
from cloudtwin.kafka.cluster import JvmCluster
from cloudtwin.kafka.jvm import JvmBroker
from cloudtwin.kafka.service import KafkaService

java = probes.java_runtime()
pytestmark = pytest.mark.skipif(not java.ok, reason=f"the JVM backend needs Java 17+: {java.detail}")


@pytest.fixture
def jvm_service():
    service = KafkaService(Settings(kafka="jvm", kafka_port=0))
    service.start()
    service.wait_ready()
    yield service
    service.stop()


def jvm_broker(service: KafkaService) -> JvmBroker:
    assert isinstance(service.broker, JvmCluster) and len(service.broker.nodes) == 1
    return service.broker.brokers[0]


def test_a_broker_killed_under_the_emulator_shows_as_down(jvm_service):
    os.kill(jvm_broker(jvm_service).broker_pid, signal.SIGKILL)

    deadline = time.monotonic() + 15
    while jvm_service.health()["state"] != "down" and time.monotonic() < deadline:
        time.sleep(0.1)

    health = jvm_service.health()
    assert (health["up"], health["state"]) == (False, "down")
    assert "the Kafka JVM was killed by signal 9 (SIGKILL)" in health["error"], health["error"]
    assert "restart the emulator" in health["error"]


def test_stop_ends_the_jvm_and_removes_its_files(jvm_service):
    broker = jvm_broker(jvm_service)
    pid, work_dir, record = broker.broker_pid, broker.work_dir, broker.records_dir / f"{broker.broker_pid}.json"
    assert work_dir is not None and work_dir.is_dir() and record.is_file()

    jvm_service.stop()

    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not work_dir.exists()
    assert not record.exists()
    assert jvm_service.health()["state"] == "stopped"
