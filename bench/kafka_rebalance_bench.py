"""Consumer-group rebalances on the JVM broker: cloudtwin's test timing against Kafka's default timing.

For each protocol (KIP-848 `consumer`, and `classic` with the client's default and a short heartbeat),
one confluent-kafka consumer owns both partitions of a topic, a second one subscribes, and the time is
taken until each owns one partition. Kafka's default timing is cloudtwin's broker with the defaults
put back through --kafka-config, so the two brokers differ in those settings only.

Run: python bench/kafka_rebalance_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid

from cloudtwin.config import Settings
from cloudtwin.kafka import probes
from cloudtwin.kafka.service import KafkaService

KAFKA_DEFAULT_TIMING = ";".join(
    [
        "group.consumer.heartbeat.interval.ms=5000",
        "group.consumer.min.heartbeat.interval.ms=5000",
        "group.consumer.session.timeout.ms=45000",
        "group.consumer.min.session.timeout.ms=45000",
        "group.min.session.timeout.ms=6000",
    ]
)
PROTOCOLS = {
    "KIP-848 (group.protocol=consumer)": {"group.protocol": "consumer"},
    "classic, client defaults (3 s heartbeat)": {"group.protocol": "classic"},
    "classic, heartbeat 0.2 s, session 1 s": {
        "group.protocol": "classic", "heartbeat.interval.ms": "200", "session.timeout.ms": "1000",
    },
}  # fmt: skip
DEADLINE_SECONDS = 30.0


def rebalance_seconds(bootstrap: str, topic: str, settings: dict[str, str]) -> float:
    """Seconds from the second consumer's subscribe until the two consumers own one partition each."""
    from confluent_kafka import Consumer

    group = f"bench-{uuid.uuid4().hex[:8]}"
    config = {"bootstrap.servers": bootstrap, "group.id": group, "log_level": 0, **settings}
    first = Consumer(config)
    first.subscribe([topic])
    _poll_until(lambda: len(first.assignment()) == 2, first)
    second = Consumer(config)
    started = time.perf_counter()
    second.subscribe([topic])
    _poll_until(lambda: len(first.assignment()) == 1 and len(second.assignment()) == 1, first, second)
    seconds = time.perf_counter() - started
    second.close()
    first.close()
    return seconds


def _poll_until(done, *consumers) -> None:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("no rebalance within the deadline")
        for consumer in consumers:
            consumer.poll(0.05)


def measure(label: str, kafka_config: str, rounds: int) -> dict[str, list[float]]:
    service = KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_config=kafka_config))
    service.start()
    try:
        bootstrap = service.wait_ready()
        assert service.admin is not None
        results = {}
        for protocol, settings in PROTOCOLS.items():
            topic = f"bench-rebalance-{uuid.uuid4().hex[:6]}"
            service.admin.create_topic(topic, partitions=2)
            try:
                results[protocol] = [rebalance_seconds(bootstrap, topic, settings) for _ in range(rounds)]
            except TimeoutError:  # Kafka's default minimum session (6 s) refuses a 1 s session: no join
                results[protocol] = []
            print(f"  {label:<28} {protocol:<42} {results[protocol]}", file=sys.stderr)
        return results
    finally:
        service.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not probes.java_runtime().ok:
        print(f"kafka_rebalance_bench: the JVM backend cannot run here: {probes.java_runtime().detail}")
        return 1
    brokers = {"cloudtwin test timing": "", "Kafka's default timing": KAFKA_DEFAULT_TIMING}
    results = {label: measure(label, config, args.rounds) for label, config in brokers.items()}
    print(f"| {'rebalance (second consumer joins)':<44} | " + " | ".join(f"{label:>22}" for label in brokers))
    print(f"|{'-' * 46}|" + "|".join("-" * 24 for _ in brokers))
    for protocol in PROTOCOLS:
        cells = [
            f"{statistics.median(results[label][protocol]):>20.2f} s"
            if results[label][protocol]
            else f"{'no join':>22}"
            for label in brokers
        ]
        print(f"| {protocol:<44} | " + " | ".join(cells))
    print(f"\nmedian of {args.rounds} rounds each; no join: the broker refused the consumer's session timeout")
    return 0


if __name__ == "__main__":
    sys.exit(main())
