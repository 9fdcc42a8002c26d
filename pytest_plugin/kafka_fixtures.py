"""Kafka fixtures: the broker starts only in sessions that ask for one, then topics and clients per test.

The session's `cloudtwin` emulator runs without Kafka so SQS-only sessions stay fast; the first
Kafka fixture starts a broker (backend from `--cloudtwin-kafka` / ini `cloudtwin_kafka`) and adds
it to that emulator, so health, reset and MSK's GetBootstrapBrokers see it. With
`--cloudtwin-endpoint`, the running emulator's broker is used instead: one broker, many sessions,
isolated by unique topic and group names. pytest-xdist workers of one run share one broker too.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Callable, Iterator

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka.admin import TopicAdmin
from cloudtwin.kafka.service import KafkaService
from cloudtwin.pytest_plugin.kafka_sharing import SharedBroker
from cloudtwin.service import ServiceStartError

__all__ = [
    "kafka_admin",
    "kafka_bootstrap",
    "kafka_broker_faults",
    "kafka_consumer",
    "kafka_group",
    "kafka_producer",
    "kafka_service",
    "kafka_topic",
    "kafka_topic_factory",
]


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


def running_emulator_bootstrap(endpoint: str) -> str:
    """The bootstrap address a running emulator reports, or ServiceStartError saying why there is none."""
    try:
        with urllib.request.urlopen(f"{endpoint.rstrip('/')}/_cloudtwin/health", timeout=10) as response:
            kafka = json.loads(response.read())["services"].get("kafka") or {}
    except OSError as exc:
        raise ServiceStartError(f"no emulator answers at {endpoint}: {getattr(exc, 'reason', exc)}") from None
    if not kafka.get("bootstrap"):
        raise ServiceStartError(f"the emulator at {endpoint} runs without Kafka: {kafka.get('reason', 'off')}")
    return kafka["bootstrap"]


def started_service(backend: str, settings: dict | None = None) -> KafkaService:
    """A ready broker for `backend`; skips when no backend can run here, fails when the chosen one cannot.

    `settings`: Kafka settings from the plugin's options (kafka_settings); CLOUDTWIN_* variables fill the rest.
    """
    from cloudtwin.pytest_plugin.plugin import as_plugin_flags

    try:
        service = KafkaService(Settings.resolve({**(settings or {}), "kafka": backend, "kafka_port": 0}))
        service.start()
    except ServiceStartError as exc:
        pytest.fail(as_plugin_flags(str(exc)), pytrace=False)
    if service.choice is not None and service.choice.backend == "off":
        pytest.skip(as_plugin_flags(f"no Kafka backend can run here: {service.choice.reason}"))
    try:
        service.wait_ready()
    except ServiceStartError as exc:
        service.stop()
        pytest.fail(as_plugin_flags(f"Kafka ({service.health()['backend']}) did not start: {exc}"), pytrace=False)
    return service


def kafka_settings(config: pytest.Config) -> dict:
    """The Kafka settings of `--cloudtwin-kafka-*` options and ini lines (--cloudtwin-kafka-config,
    --cloudtwin-kafka-brokers, ...), for a broker the session starts itself."""
    from cloudtwin.pytest_plugin.plugin import _settings_from_options

    return {
        name: value
        for name, value in _settings_from_options(config).items()
        if name.startswith("kafka_") or name == "redpanda_image"
    }


@pytest.fixture(scope="session")
def kafka_service(request: pytest.FixtureRequest) -> Iterator[KafkaService]:
    """The session's Kafka broker, started on first use; the test skips when no backend can run here."""
    from cloudtwin.pytest_plugin.plugin import cloudtwin_option

    endpoint = cloudtwin_option(request.config, "endpoint")
    backend = cloudtwin_option(request.config, "kafka")
    if endpoint:
        try:
            service = started_service(f"external={running_emulator_bootstrap(endpoint)}")
        except ServiceStartError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield service
        service.stop()
        return
    shared = SharedBroker.for_xdist_run()
    owned = None
    settings = kafka_settings(request.config)
    if shared is None:
        service = started_service(backend, settings)
    else:
        bootstrap, owned = shared.join(lambda: started_service(backend, settings))
        service = owned or started_service(f"external={bootstrap}")
    # Owned by the session's emulator from here on: its health, reset, MSK and stop include it.
    request.getfixturevalue("cloudtwin").services["kafka"] = service
    yield service
    if shared is not None:
        shared.leave(owner=owned is not None)
    service.stop()


class BrokerFaults:
    """Stops and starts brokers of a JVM Kafka cluster for a fault test; restore() starts what it stopped."""

    def __init__(self, service: KafkaService) -> None:
        self.service = service
        self.stopped: list[int] = []

    def stop(self, broker_id: int) -> dict:
        """Shut broker `broker_id` down cleanly (its partitions' leaders move to the others); its state back."""
        report = self.service.stop_broker(broker_id)
        self.stopped.append(broker_id)
        return report

    def start(self, broker_id: int) -> dict:
        """Start a stopped broker again; returns once the cluster lists it as serving."""
        report = self.service.start_broker(broker_id)
        if broker_id in self.stopped:
            self.stopped.remove(broker_id)
        return report

    def restore(self) -> None:
        for broker_id in list(self.stopped):
            self.start(broker_id)


@pytest.fixture
def kafka_broker_faults(kafka_service: KafkaService) -> Iterator[BrokerFaults]:
    """`stop(broker_id)` / `start(broker_id)` for brokers of the session's JVM Kafka cluster (run the session with
    --cloudtwin-kafka-brokers 3 to keep serving with one stopped); brokers a test stopped start again after it.

    Only the session that started the cluster can: with --cloudtwin-endpoint, or in an xdist worker that joined
    another worker's cluster, a stop is refused (BrokerControlError). Under xdist the stop reaches the tests of
    every worker sharing the cluster.
    """
    faults = BrokerFaults(kafka_service)
    yield faults
    faults.restore()


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_service: KafkaService) -> str:
    """HOST:PORT of the live broker."""
    return kafka_service.wait_ready()


@pytest.fixture(scope="session")
def kafka_admin(kafka_service: KafkaService) -> TopicAdmin:
    assert kafka_service.admin is not None
    return kafka_service.admin


@pytest.fixture
def kafka_topic_factory(request: pytest.FixtureRequest, kafka_admin: TopicAdmin) -> Iterator[Callable[..., str]]:
    """`create(partitions=1, configs=None) -> name`: fresh uniquely named topics, deleted after the test."""
    from cloudtwin.pytest_plugin.failure_report import KAFKA_TOPICS_KEY

    created: list[str] = []
    request.node.stash[KAFKA_TOPICS_KEY] = created  # for the failure report

    def create(partitions: int = 1, configs: dict[str, str] | None = None) -> str:
        name = unique_name("test")
        kafka_admin.create_topic(name, partitions, configs)
        created.append(name)
        return name

    yield create
    kafka_admin.delete_topics(created)


@pytest.fixture
def kafka_topic(kafka_topic_factory: Callable[..., str]) -> str:
    """Name of a fresh one-partition topic, deleted after the test."""
    return kafka_topic_factory()


@pytest.fixture
def kafka_group() -> str:
    """A consumer group name no other test or session uses."""
    return unique_name("group")


@pytest.fixture
def kafka_producer(kafka_bootstrap: str) -> Iterator[Callable[..., object]]:
    """`make(**config) -> KafkaProducer` on the live broker; every producer is closed after the test."""
    from kafka import KafkaProducer

    producers: list[KafkaProducer] = []

    def make(**config) -> KafkaProducer:
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, **config)
        producers.append(producer)
        return producer

    yield make
    for producer in producers:
        producer.close(timeout=10)


@pytest.fixture
def kafka_consumer(kafka_bootstrap: str) -> Iterator[Callable[..., object]]:
    """`make(*topics, **config) -> KafkaConsumer` reading from the earliest offset; closed after the test.

    Without a group_id, each consumer gets a group of its own.
    """
    from kafka import KafkaConsumer

    consumers: list[KafkaConsumer] = []

    def make(*topics: str, **config) -> KafkaConsumer:
        config.setdefault("group_id", unique_name("group"))
        config.setdefault("auto_offset_reset", "earliest")
        consumer = KafkaConsumer(*topics, bootstrap_servers=kafka_bootstrap, **config)
        consumers.append(consumer)
        return consumer

    yield make
    for consumer in consumers:
        consumer.close()
