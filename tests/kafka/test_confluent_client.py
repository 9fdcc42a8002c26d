"""confluent-kafka (librdkafka) against the managed broker: the other client family users bring."""

from __future__ import annotations

import time

import pytest

confluent_kafka = pytest.importorskip("confluent_kafka", reason="confluent-kafka is not installed")


def test_produce_and_consume_with_a_committed_group(kafka_bootstrap, kafka_topic, kafka_group):
    producer = confluent_kafka.Producer({"bootstrap.servers": kafka_bootstrap})
    for n in range(5):
        producer.produce(kafka_topic, key=b"k", value=f"m{n}".encode())
    assert producer.flush(30) == 0

    consumer = confluent_kafka.Consumer(
        {
            "bootstrap.servers": kafka_bootstrap,
            "group.id": kafka_group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([kafka_topic])
    values = []
    deadline = time.monotonic() + 30
    while len(values) < 5 and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            values.append(message.value())
    consumer.commit(asynchronous=False)
    committed = consumer.committed([confluent_kafka.TopicPartition(kafka_topic, 0)], timeout=10)
    consumer.close()

    assert values == [f"m{n}".encode() for n in range(5)]
    assert committed[0].offset == 5
