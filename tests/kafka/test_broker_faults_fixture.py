"""The plugin's kafka_broker_faults fixture on the session's broker: one broker stopped in a test comes back for
the next, with its data (a lone broker is also the controller, so this is the cluster's restart too)."""

from __future__ import annotations

import pytest

from cloudtwin.kafka.cluster import JvmCluster

KEPT_TOPIC: list[str] = []


@pytest.fixture
def jvm_session_broker(kafka_service):
    if not isinstance(kafka_service.broker, JvmCluster):
        pytest.skip(f"the session's Kafka is {kafka_service.health()['backend']}, not a JVM cluster of ours")
    return kafka_service


def test_a_stopped_broker_shows_in_health(jvm_session_broker, kafka_broker_faults, kafka_admin):
    topic = "faults-kept-topic"
    kafka_admin.create_topic(topic)
    KEPT_TOPIC.append(topic)

    assert kafka_broker_faults.stop(1)["state"] == "stopped"

    health = jvm_session_broker.health()
    assert [(item["id"], item["state"]) for item in health["brokers"]] == [(1, "stopped")]
    assert health["up"] is False, "with its only broker stopped, Kafka does not serve"


def test_the_broker_is_back_after_the_test_that_stopped_it(jvm_session_broker, kafka_admin):
    if not KEPT_TOPIC:
        pytest.skip("checks what test_a_stopped_broker_shows_in_health left; run the module")
    health = jvm_session_broker.health()
    assert [(item["id"], item["state"]) for item in health["brokers"]] == [(1, "running")]
    assert health["up"] is True
    assert KEPT_TOPIC[0] in kafka_admin.list_topics()
    kafka_admin.delete_topics(KEPT_TOPIC)
