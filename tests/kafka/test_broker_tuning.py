"""The JVM broker is timed for tests (retention and group heartbeats act within about a second), and
`--kafka-config` sets any server.properties over the twin's except those that place the broker."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka.broker_config import TIMING, parse_overrides
from cloudtwin.kafka.jars import KafkaJars
from cloudtwin.kafka.jvm import JvmBroker
from cloudtwin.kafka.listeners import plan_listeners
from cloudtwin.kafka.service import KafkaService
from cloudtwin.service import ServiceStartError

RETENTION_DEADLINE_SECONDS = 60.0


def test_retention_is_seen_to_delete_records(kafka_topic_factory, kafka_bootstrap):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    topic = kafka_topic_factory(configs={"retention.ms": "1000"})
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
    for value in (b"old", b"older"):
        producer.send(topic, value)
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap)
    partition = TopicPartition(topic, 0)

    # Wall time is inherent (the broker's clock); the default 5-minute check would not act before the deadline.
    deadline = time.monotonic() + RETENTION_DEADLINE_SECONDS
    while consumer.beginning_offsets([partition])[partition] == 0 and time.monotonic() < deadline:
        time.sleep(0.2)

    assert consumer.beginning_offsets([partition])[partition] == 2
    consumer.close()


def test_the_broker_runs_with_the_test_timing(kafka_service, kafka_bootstrap):
    from kafka import KafkaAdminClient
    from kafka.admin import ConfigResource, ConfigResourceType

    if kafka_service.health()["backend"] != "jvm":
        pytest.skip("the session's broker is not the JVM backend")
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    described = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "1")], config_filter="all")
    admin.close()
    configs = {key: entry["value"] for key, entry in described["broker"]["1"].items()}

    assert {key: configs[key] for key in TIMING} == TIMING


def test_overrides_are_pairs_separated_by_semicolons():
    assert parse_overrides(" log.retention.check.interval.ms=300000 ; log.cleanup.policy=compact,delete;") == {
        "log.retention.check.interval.ms": "300000",
        "log.cleanup.policy": "compact,delete",
    }


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("log.retention.ms", "is not key=value"),
        ("=5", "is not key=value"),
        ("listeners=PLAINTEXT://:1", "set by cloudtwin"),
        ("listener.name.iam.sasl.enabled.mechanisms=PLAIN", "set by cloudtwin"),
        ("node.id=2", "set by cloudtwin"),
    ],
)
def test_malformed_overrides_and_the_twins_own_keys_are_refused(text, complaint):
    with pytest.raises(ServiceStartError) as caught:
        parse_overrides(text)

    assert complaint in str(caught.value)


def test_overrides_come_last_in_the_brokers_configuration(tmp_path: Path):
    overrides = {"log.retention.check.interval.ms": "300000", "message.max.bytes": "2000000"}
    broker = JvmBroker(
        KafkaJars(tmp_path), plan_listeners("127.0.0.1", "127.0.0.1", 0), tmp_path / "running", overrides=overrides
    )

    properties = broker.server_properties(tmp_path / "data", 9093)

    assert {key: properties[key] for key in overrides} == overrides
    assert "message.max.bytes" not in broker.server_properties(tmp_path / "data", 9093, secured=False)


def test_a_backend_other_than_jvm_refuses_overrides(kafka_bootstrap):
    service = KafkaService(Settings(kafka=f"external={kafka_bootstrap}", kafka_config="message.max.bytes=2000000"))

    with pytest.raises(ServiceStartError) as caught:
        service.start()

    assert "the external backend does not take it" in str(caught.value)
