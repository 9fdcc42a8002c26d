"""Kafka targets: the twin (its broker, topics made through its admin) and a broker reached by address alone.

The second target is --contract-kafka-bootstrap when given, else the twin's own JVM broker by its
bootstrap address, so the properties are shown on Apache Kafka itself, not through cloudtwin.
Clients are confluent-kafka (librdkafka), which implements idempotence and transactions fully.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from cloudtwin.contract_tests.plugin import Target, contract_option, register_target

TOPIC_READY_SECONDS = 30.0


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "kafka_target" in metafunc.fixturenames:
        metafunc.parametrize("kafka_target", ["cloudtwin", "broker"], indirect=True)


def unique(prefix: str) -> str:
    return f"contract-{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class KafkaSide:
    """One Kafka target as the properties use it: its bootstrap address, topics, clients."""

    target: Target
    bootstrap: str
    twin_admin: Any  # cloudtwin's TopicAdmin, or None to make topics with a Kafka admin client
    topics: list[str] = field(default_factory=list)
    clients: list[Any] = field(default_factory=list)
    admin_client: Any = None

    def topic(self, partitions: int = 1, configs: dict[str, str] | None = None) -> str:
        name = unique("topic")
        if self.twin_admin is not None:
            self.twin_admin.create_topic(name, partitions, configs)
        else:
            from confluent_kafka.admin import NewTopic

            admin = self.kafka_admin()
            admin.create_topics([NewTopic(name, partitions, 1, config=configs or {})])[name].result(30)
            self._wait_for_leaders(admin, name, partitions)
        self.topics.append(name)
        return name

    def kafka_admin(self) -> Any:
        """A confluent-kafka AdminClient kept for the session: its futures fail if it is collected."""
        if self.admin_client is None:
            from confluent_kafka.admin import AdminClient

            self.admin_client = AdminClient({"bootstrap.servers": self.bootstrap})
        return self.admin_client

    @staticmethod
    def _wait_for_leaders(admin: Any, name: str, partitions: int) -> None:
        deadline = time.monotonic() + TOPIC_READY_SECONDS
        while time.monotonic() < deadline:
            found = admin.list_topics(name, timeout=10).topics.get(name)
            if found and len(found.partitions) == partitions and all(p.leader >= 0 for p in found.partitions.values()):
                return
            time.sleep(0.05)
        raise AssertionError(f"topic {name} had no leader for every partition within {TOPIC_READY_SECONDS} s")

    def producer(self, **config: Any) -> Any:
        from confluent_kafka import Producer

        return Producer({"bootstrap.servers": self.bootstrap, **config})

    def consumer(self, group: str | None = None, **config: Any) -> Any:
        from confluent_kafka import Consumer

        made = Consumer(
            {
                "bootstrap.servers": self.bootstrap,
                "group.id": group or unique("group"),
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": True,
                **config,
            }
        )
        self.clients.append(made)
        return made

    def cleanup(self) -> None:
        while self.clients:
            self.clients.pop().close()
        if not self.topics:
            return
        if self.twin_admin is not None:
            self.twin_admin.delete_topics(self.topics)
        else:
            for future in self.kafka_admin().delete_topics(self.topics).values():
                future.result(30)
        self.topics.clear()


def _side(request: pytest.FixtureRequest, name: str) -> KafkaSide:
    if name == "cloudtwin":
        bootstrap = request.getfixturevalue("kafka_bootstrap")
        backend = request.getfixturevalue("kafka_service").health().get("backend", "?")
        target = Target(name, f"cloudtwin Kafka ({backend}) at {bootstrap}", moves_time=None)
        side = KafkaSide(target, bootstrap, request.getfixturevalue("kafka_admin"))
    else:
        bootstrap = contract_option(request.config, "kafka_bootstrap") or request.getfixturevalue("kafka_bootstrap")
        target = Target(name, f"Kafka broker at {bootstrap}, by address", moves_time=None)
        side = KafkaSide(target, bootstrap, None)
    register_target(request.config, "kafka", target)
    return side


@pytest.fixture(scope="session")
def kafka_sides() -> dict[str, KafkaSide]:
    return {}


@pytest.fixture
def kafka_target(request: pytest.FixtureRequest, kafka_sides: dict[str, KafkaSide]) -> Iterator[KafkaSide]:
    side = kafka_sides.get(request.param)
    if side is None:
        side = kafka_sides[request.param] = _side(request, request.param)
    try:
        yield side
    finally:
        side.cleanup()
