"""A real broker behind the fixtures: delivery, ordering and committed offsets are Kafka's own."""

from __future__ import annotations

from collections import defaultdict

from kafka import TopicPartition


def drain(consumer, count: int, timeout_ms: int = 20_000) -> list:
    """Poll until `count` records arrived or the timeout passed."""
    records: list = []
    for record in consumer:
        records.append(record)
        if len(records) == count:
            break
    return records


def test_a_produced_message_is_consumed(kafka_topic, kafka_producer, kafka_consumer):
    producer = kafka_producer()
    producer.send(kafka_topic, key=b"k", value=b"hello", headers=[("trace", b"42")])
    producer.flush()

    consumer = kafka_consumer(kafka_topic, consumer_timeout_ms=20_000)
    [record] = drain(consumer, 1)

    assert (record.key, record.value, record.headers) == (b"k", b"hello", [("trace", b"42")])


def test_each_partition_keeps_the_order_of_its_keys(kafka_topic_factory, kafka_producer, kafka_consumer):
    topic = kafka_topic_factory(partitions=3)
    producer = kafka_producer(acks="all", max_in_flight_requests_per_connection=1)
    keys = [f"account-{n}".encode() for n in range(6)]
    for sequence in range(50):
        for key in keys:
            producer.send(topic, key=key, value=str(sequence).encode())
    producer.flush()

    consumer = kafka_consumer(topic, consumer_timeout_ms=20_000)
    records = drain(consumer, 50 * len(keys))

    by_key: dict[bytes, list[int]] = defaultdict(list)
    partitions_of_key: dict[bytes, set[int]] = defaultdict(set)
    for record in records:
        by_key[record.key].append(int(record.value))
        partitions_of_key[record.key].add(record.partition)
    assert len(records) == 50 * len(keys)
    assert all(sequence == list(range(50)) for sequence in by_key.values())
    assert all(len(partitions) == 1 for partitions in partitions_of_key.values())
    assert len({record.partition for record in records}) > 1  # the keys really were spread out


def test_committed_offsets_survive_a_consumer_restart(kafka_topic, kafka_group, kafka_producer, kafka_consumer):
    producer = kafka_producer()
    for n in range(10):
        producer.send(kafka_topic, value=f"first-{n}".encode())
    producer.flush()

    first = kafka_consumer(kafka_topic, group_id=kafka_group, enable_auto_commit=False, consumer_timeout_ms=20_000)
    assert [record.value for record in drain(first, 10)] == [f"first-{n}".encode() for n in range(10)]
    first.commit()
    first.close()

    for n in range(5):
        producer.send(kafka_topic, value=f"second-{n}".encode())
    producer.flush()

    restarted = kafka_consumer(kafka_topic, group_id=kafka_group, enable_auto_commit=False, consumer_timeout_ms=20_000)
    assert [record.value for record in drain(restarted, 5)] == [f"second-{n}".encode() for n in range(5)]
    assert restarted.committed(TopicPartition(kafka_topic, 0)) == 10


def test_topics_made_by_the_factory_exist_until_the_test_ends(kafka_topic_factory, kafka_admin):
    names = [kafka_topic_factory(partitions=2) for _ in range(2)]

    assert set(names) <= set(kafka_admin.list_topics())
