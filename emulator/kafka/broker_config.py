"""The JVM broker's server.properties beyond its listeners: sized and timed for tests, overridable.

`--kafka-config 'key=value;key=value'` overrides any of them; the keys that place the broker (its
listeners, node, controller and storage) are the twin's and are refused.
"""

from __future__ import annotations

from cloudtwin.service import ServiceStartError

# Sized for a test broker: one partition and one replica for internal topics, no rebalance delay
# (a consumer joining a group gets partitions at once), and small buffers.
SIZING = {
    "num.partitions": "1",
    "default.replication.factor": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "share.coordinator.state.topic.num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    # The metadata log waits 25 ms by default to batch appends; every topic create and delete pays it.
    "controller.quorum.append.linger.ms": "1",
    "log.cleaner.dedupe.buffer.size": str(2 * 1024 * 1024),
    "log.cleaner.threads": "1",
    "num.network.threads": "2",
    "num.io.threads": "2",
    "num.recovery.threads.per.data.dir": "1",
    "log.segment.bytes": str(16 * 1024 * 1024),
    "auto.create.topics.enable": "true",
}
# Timed for tests: what a test waits for happens within about a second, not minutes.
TIMING = {
    # Retention is enforced every second (Kafka: every 5 minutes, the first time 30 s after start), so a
    # topic's retention.ms is seen to act.
    "log.retention.check.interval.ms": "1000",
    "log.initial.task.delay.ms": "1000",
    # An idle log cleaner looks for work every second (Kafka: 15 s), so compaction is seen to act.
    "log.cleaner.backoff.ms": "1000",
    # KIP-848 consumers heartbeat every 0.5 s (Kafka: 5 s): an assignment change reaches them within one.
    "group.consumer.heartbeat.interval.ms": "500",
    "group.consumer.min.heartbeat.interval.ms": "100",
    # A KIP-848 consumer that vanishes loses its partitions after 10 s (Kafka: 45 s).
    "group.consumer.session.timeout.ms": "10000",
    "group.consumer.min.session.timeout.ms": "1000",
    # Classic-protocol clients may ask for sessions down to 0.5 s (Kafka: 6 s) and heartbeat to match.
    "group.min.session.timeout.ms": "500",
    # A broker stopped in a fault test can register again only once its last session expired: 4 s, not 9 s,
    # brings it back within about 5 s, not 10 (bench/kafka_bench.py). 8 heartbeats per session (Kafka: 4.5)
    # so a broker starved of CPU for a moment on a small machine is not fenced.
    "broker.session.timeout.ms": "4000",
    "broker.heartbeat.interval.ms": "500",
}
# One KRaft node, broker and controller; brokers talk among themselves on the plaintext listener.
IDENTITY = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
}
BROKER_PROPERTIES = {**IDENTITY, **SIZING, **TIMING}


def replication_defaults(brokers: int) -> dict[str, str]:
    """Replication as MSK configures a cluster of this size: a 3-AZ cluster (3 or more brokers) replicates
    topics, the offsets and the transaction state 3 times and wants 2 in sync; a 2-AZ one 2 times and 1.

    One broker keeps SIZING's single replica. `--kafka-config` overrides these like any other setting.
    """
    if brokers < 2:
        return {}
    copies, in_sync = ("3", "2") if brokers >= 3 else ("2", "1")
    return {
        "default.replication.factor": copies,
        "min.insync.replicas": in_sync,
        "offsets.topic.replication.factor": copies,
        "transaction.state.log.replication.factor": copies,
        "transaction.state.log.min.isr": in_sync,
        "share.coordinator.state.topic.replication.factor": copies,
        "share.coordinator.state.topic.min.isr": in_sync,
    }


# What places the broker and its listeners: the twin's own, not overridable.
OWNED_KEYS = ("process.roles", "node.id", "log.dirs", "listeners", "advertised.listeners", "inter.broker.listener.name")
OWNED_PREFIXES = ("controller.", "listener.", "ssl.", "sasl.", "security.", "early.start.listeners")


def parse_overrides(text: str) -> dict[str, str]:
    """`key=value;key=value` → {key: value}; ServiceStartError for a malformed pair or a key the twin owns."""
    overrides: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(";"))):
        key, equals, value = pair.partition("=")
        key = key.strip()
        if not equals or not key:
            raise ServiceStartError(f"--kafka-config: {pair!r} is not key=value (pairs are separated by ';')")
        if key in OWNED_KEYS or key.startswith(OWNED_PREFIXES):
            raise ServiceStartError(
                f"--kafka-config: {key} is set by cloudtwin (it places the broker, its listeners or their security) "
                "and cannot be overridden"
            )
        overrides[key] = value.strip()
    return overrides
