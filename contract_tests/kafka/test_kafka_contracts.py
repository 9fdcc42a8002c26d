"""Kafka: per-partition order, stable key placement, committed offsets across restarts, redelivery without
loss, the idempotent producer under retries, read_committed isolation, and compaction's latest value per key."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict

from hypothesis import strategies as st

from .conftest import KafkaSide

READ_SECONDS = 20.0
END = "end"  # the value of a last committed record, after which a reader has seen everything
KEYS = st.sampled_from(["k0", "k1", "k2", "k3", "k4"])


def produce(producer, topic: str, records: list[tuple[str | None, str]]) -> list[tuple[str | None, str, int, int]]:
    """Send `records` (key, value) in order; (key, value, partition, offset) of each, as acknowledged."""
    acknowledged: list = [None] * len(records)

    def delivered(index: int):
        def report(error, message) -> None:
            assert error is None, f"record {index} was not written: {error}"
            acknowledged[index] = (records[index][0], records[index][1], message.partition(), message.offset())

        return report

    for index, (key, value) in enumerate(records):
        producer.produce(topic, value=value.encode(), key=key.encode() if key else None, on_delivery=delivered(index))
        producer.poll(0)
    assert producer.flush(30) == 0, "records still unsent after 30 s"
    return acknowledged


def read(
    consumer, topic: str, partitions: int, start: dict[int, int] | None = None, last: str | None = None
) -> dict[int, list[tuple]]:
    """Everything readable per partition, as (offset, key, value), from `start` (default: the group's position);
    with `last`, up to the record of that value (a read_committed consumer ends short of the high watermark)."""
    from confluent_kafka import OFFSET_BEGINNING, OFFSET_STORED, KafkaError, TopicPartition

    assignment = []
    for partition in range(partitions):
        offset = (start or {}).get(partition, OFFSET_STORED if start is None else OFFSET_BEGINNING)
        assignment.append(TopicPartition(topic, partition, offset))
    consumer.assign(assignment)
    ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
    got: dict[int, list[tuple]] = defaultdict(list)
    at_end: set[int] = set()  # partitions that reported end-of-partition (read_committed stops short of ends)
    deadline = time.monotonic() + READ_SECONDS
    while time.monotonic() < deadline:
        positions = {tp.partition: tp.offset for tp in consumer.position(assignment)}
        if last is None and all(p in at_end or positions[p] >= ends[p] for p in range(partitions)):
            break
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error():
            if message.error().code() == KafkaError._PARTITION_EOF:
                at_end.add(message.partition())
            continue
        key = message.key().decode() if message.key() else None
        got[message.partition()].append((message.offset(), key, message.value().decode()))
        if last is not None and message.value().decode() == last:
            break
    return got


def test_per_partition_order_and_stable_key_placement(contract, kafka_target: KafkaSide) -> None:
    def order(records: list[tuple[str, int]], partitions: int) -> None:
        topic = kafka_target.topic(partitions)
        sent = produce(kafka_target.producer(), topic, [(key, f"{key}-{n}") for n, (key, _) in enumerate(records)])
        placement: dict[str, int] = {}
        for key, _, partition, _ in sent:
            assert placement.setdefault(key, partition) == partition, f"key {key} went to two partitions"
        got = read(kafka_target.consumer(), topic, partitions, start={})
        for partition in range(partitions):
            expected = [value for _, value, p, _ in sent if p == partition]
            assert [value for _, _, value in got[partition]] == expected, f"partition {partition} out of order"

    records = st.lists(st.tuples(KEYS, st.just(0)), min_size=1, max_size=20)
    contract.check(kafka_target.target, order, examples=4, records=records, partitions=st.integers(1, 3))


def test_commits_survive_a_restart_and_uncommitted_reads_are_redelivered(contract, kafka_target: KafkaSide) -> None:
    from confluent_kafka import TopicPartition

    def restart(total: int, committed: int) -> None:
        committed = min(committed, total)
        topic = kafka_target.topic()
        produce(kafka_target.producer(), topic, [(None, str(n)) for n in range(total)])
        group = f"group-{uuid.uuid4().hex[:12]}"
        first = kafka_target.consumer(group)
        got = read(first, topic, 1)[0]
        assert [value for _, _, value in got] == [str(n) for n in range(total)]
        if committed:
            first.commit(offsets=[TopicPartition(topic, 0, committed)], asynchronous=False)
        # It has read (processed) everything but committed only the first `committed`, then it dies.
        first.close()
        kafka_target.clients.remove(first)
        second = kafka_target.consumer(group)
        again = read(second, topic, 1)[0]
        # Resumes exactly at the commit: nothing committed comes again, nothing after it is lost.
        assert [value for _, _, value in again] == [str(n) for n in range(committed, total)]

    contract.check(
        kafka_target.target,
        restart,
        examples=4,
        total=st.integers(1, 15),
        committed=st.integers(0, 15),
    )


def losing_first_responses(producer) -> list[int]:
    """Make a kafka-python producer treat the broker's first answer to each batch as lost: the broker has
    written the batch, the client sees a timeout and sends it again. Returns the tally of lost answers."""
    import kafka.errors
    from kafka.producer import sender

    lost: list[int] = []
    complete = producer._sender._complete_batch

    def complete_losing_the_first(batch, response):
        if response.error_code == 0 and id(batch) not in lost:
            lost.append(id(batch))
            response = sender._PartitionProduceResponse(
                index=response.index, error_code=kafka.errors.RequestTimedOutError.errno, error_message="lost"
            )
        return complete(batch, response)

    producer._sender._complete_batch = complete_losing_the_first
    return lost


def test_idempotent_producer_writes_no_duplicates_under_retries(contract, kafka_target: KafkaSide) -> None:
    from kafka import KafkaProducer

    def idempotent(values: list[str], batch_size: int) -> None:
        topic = kafka_target.topic()
        producer = KafkaProducer(
            bootstrap_servers=kafka_target.bootstrap,
            enable_idempotence=True,
            batch_size=batch_size,
            linger_ms=5,
            retry_backoff_ms=10,
        )
        try:
            lost = losing_first_responses(producer)
            for value in values:
                producer.send(topic, value=value.encode())
            producer.flush(30)
        finally:
            producer.close(timeout=10)
        assert lost, "no batch was retried"
        got = read(kafka_target.consumer(), topic, 1, start={})[0]
        # Without idempotence each retried batch would be in the log twice.
        assert [value for _, _, value in got] == values

    values = st.lists(st.text("abcdef", min_size=1, max_size=6), min_size=1, max_size=30)
    sizes = st.sampled_from([64, 256, 16384])  # small batches: several batches, each retried
    contract.check(kafka_target.target, idempotent, examples=4, values=values, batch_size=sizes)


def test_read_committed_never_sees_aborted_transactions(contract, kafka_target: KafkaSide) -> None:
    def isolation(transactions: list[tuple[bool, list[str]]]) -> None:
        topic = kafka_target.topic()
        producer = kafka_target.producer(**{"transactional.id": f"tx-{uuid.uuid4().hex[:12]}"})
        producer.init_transactions(30)
        for commit, values in [*transactions, (True, [END])]:
            producer.begin_transaction()
            for value in values:
                producer.produce(topic, value=value.encode())
            # Written before the abort, so an aborted transaction's records are in the log, only hidden.
            assert producer.flush(30) == 0
            if commit:
                producer.commit_transaction(30)
            else:
                producer.abort_transaction(30)
        expected = [value for commit, values in transactions if commit for value in values] + [END]
        committed_reader = kafka_target.consumer(**{"isolation.level": "read_committed"})
        assert [value for _, _, value in read(committed_reader, topic, 1, start={}, last=END)[0]] == expected
        everything = [value for _, values in transactions for value in values] + [END]
        uncommitted_reader = kafka_target.consumer(**{"isolation.level": "read_uncommitted"})
        assert [value for _, _, value in read(uncommitted_reader, topic, 1, start={}, last=END)[0]] == everything

    transactions = st.lists(
        st.tuples(st.booleans(), st.lists(st.text("xyz", min_size=1, max_size=4), min_size=1, max_size=4)),
        min_size=1,
        max_size=4,
    )
    contract.check(kafka_target.target, isolation, examples=3, transactions=transactions)


def test_compacted_topic_keeps_the_latest_value_per_key(contract, kafka_target: KafkaSide) -> None:
    def compaction(records: list[tuple[str, str]]) -> None:
        topic = kafka_target.topic(
            configs={"cleanup.policy": "compact", "segment.ms": "100", "min.cleanable.dirty.ratio": "0.01"}
        )
        produce(kafka_target.producer(), topic, records)
        latest = dict(records)
        got = read(kafka_target.consumer(), topic, 1, start={})[0]
        seen: dict[str, str] = {}
        for _, key, value in got:
            seen[key] = value
        # Whether or not the cleaner has run yet, the last record per key is the latest one written.
        assert seen == latest

    records = st.lists(st.tuples(KEYS, st.text("abc", min_size=1, max_size=3)), min_size=1, max_size=20)
    contract.check(kafka_target.target, compaction, examples=4, records=records)
