"""--kafka-brokers 3: one 3-broker JVM cluster for the module (three broker JVMs and a controller are slow on a
small machine), replicated topics that survive a stopped broker, MSK's answers listing every broker, and the
admin API and plugin helper that stop and start brokers."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka import probes
from cloudtwin.kafka.service import KafkaService
from cloudtwin.process import Emulator
from cloudtwin.pytest_plugin.kafka_fixtures import BrokerFaults
from tests.control.msk_helpers import aws_client

java = probes.java_runtime()
pytestmark = pytest.mark.skipif(not java.ok, reason=f"the JVM backend needs Java 17+: {java.detail}")
WAIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def cluster() -> Iterator[KafkaService]:
    service = KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_brokers=3))
    service.start()
    try:
        service.wait_ready()
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def emulator(cluster: KafkaService) -> Iterator[Emulator]:
    """An emulator whose Kafka is the module's cluster (as the plugin hands its session emulator a broker)."""
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as emulator:
        own = emulator.services.get("kafka")
        emulator.services["kafka"] = cluster
        try:
            yield emulator
        finally:
            if own is None:
                del emulator.services["kafka"]
            else:
                emulator.services["kafka"] = own


@pytest.fixture
def faults(cluster: KafkaService) -> Iterator[BrokerFaults]:
    faults = BrokerFaults(cluster)
    yield faults
    faults.restore()


def until(condition, what: str):
    """Poll `condition` until it returns something truthy (wall time is inherent: a JVM moves leaders)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")
        time.sleep(0.1)


def partition(cluster: KafkaService, topic: str) -> dict:
    assert cluster.admin is not None
    [only] = cluster.admin.partitions(topic)
    return only


def producer(cluster: KafkaService, **config):
    from kafka import KafkaProducer

    return KafkaProducer(bootstrap_servers=cluster.bootstrap, acks="all", **config)


def read_all(cluster: KafkaService, topic: str, expected: int) -> list[bytes]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=cluster.bootstrap, group_id=None, consumer_timeout_ms=10_000)
    try:
        consumer.assign([TopicPartition(topic, 0)])
        consumer.seek_to_beginning()
        values: list[bytes] = []
        for record in consumer:
            values.append(record.value)
            if len(values) >= expected:
                break
        return values
    finally:
        consumer.close()


def test_every_broker_serves_every_msk_listener_at_ports_ten_apart(cluster):
    health = cluster.health()
    brokers = health["brokers"]
    assert [(item["id"], item["state"]) for item in brokers] == [(1, "running"), (2, "running"), (3, "running")]
    assert health["controller"]["state"] == "running" and health["controller"]["id"] == 0
    first = int(brokers[0]["endpoint"].rpartition(":")[2])
    assert [item["endpoint"] for item in brokers] == [f"127.0.0.1:{first + 10 * k}" for k in range(3)]
    for name, offset in {"PLAINTEXT": 0, "TLS": 2, "MTLS": 3, "SCRAM": 4, "IAM": 6}.items():
        expected = ",".join(f"127.0.0.1:{first + offset + 10 * k}" for k in range(3))
        assert health["listeners"][name] == expected, name
    assert health["bootstrap"] == health["listeners"]["PLAINTEXT"]
    assert cluster.admin is not None and cluster.admin.broker_ids() == [1, 2, 3]


def test_msk_lists_every_broker_and_reports_the_real_broker_count(cluster, emulator):
    msk = aws_client("kafka", emulator.aws_endpoint)
    arn = msk.create_cluster(
        ClusterName="three",
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=6,  # the twin's brokers serve every cluster: it reports the 3 it runs
        BrokerNodeGroupInfo={"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"]},
        ClientAuthentication={"Sasl": {"Iam": {"Enabled": True}}, "Unauthenticated": {"Enabled": True}},
        EncryptionInfo={"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}},
    )["ClusterArn"]

    assert msk.describe_cluster(ClusterArn=arn)["ClusterInfo"]["NumberOfBrokerNodes"] == 3
    nodes = msk.list_nodes(ClusterArn=arn)["NodeInfoList"]
    assert [node["BrokerNodeInfo"]["BrokerId"] for node in nodes] == [1.0, 2.0, 3.0]
    assert [node["BrokerNodeInfo"]["ClientSubnet"] for node in nodes] == ["subnet-a", "subnet-b", "subnet-c"]
    assert {endpoint for node in nodes for endpoint in node["BrokerNodeInfo"]["Endpoints"]} == {"127.0.0.1"}
    strings = msk.get_bootstrap_brokers(ClusterArn=arn)
    listeners, _ = cluster.client_listeners()
    assert strings["BootstrapBrokerString"] == listeners["PLAINTEXT"]
    assert strings["BootstrapBrokerStringTls"] == listeners["TLS"]
    assert strings["BootstrapBrokerStringSaslIam"] == listeners["IAM"]
    assert all(len(strings[key].split(",")) == 3 for key in strings if key.startswith("BootstrapBrokerString"))


def test_a_replicated_topic_survives_one_stopped_broker_and_refuses_acks_all_with_two(cluster, faults):
    from kafka.errors import NotEnoughReplicasError

    assert cluster.admin is not None
    topic = "replicated"
    cluster.admin.create_topic(topic)  # the cluster's defaults: 3 replicas, min.insync.replicas=2
    before = partition(cluster, topic)
    assert sorted(before["replica_nodes"]) == [1, 2, 3] and sorted(before["isr_nodes"]) == [1, 2, 3]
    writer = producer(cluster)
    writer.send(topic, b"before").get(timeout=WAIT_SECONDS)

    leader = before["leader_id"]
    assert faults.stop(leader)["state"] == "stopped"
    moved = until(lambda: (p := partition(cluster, topic))["leader_id"] not in (leader, -1) and p, "a new leader")
    assert leader not in moved["isr_nodes"] and len(moved["isr_nodes"]) == 2
    writer.send(topic, b"one down").get(timeout=WAIT_SECONDS)  # acks=all: both replicas still in sync
    assert read_all(cluster, topic, 2) == [b"before", b"one down"]

    follower = next(node for node in moved["isr_nodes"] if node != moved["leader_id"])
    faults.stop(follower)
    until(lambda: len(partition(cluster, topic)["isr_nodes"]) == 1, "the ISR down to the leader")
    strict = producer(cluster, retries=0)
    with pytest.raises(NotEnoughReplicasError):
        strict.send(topic, b"two down").get(timeout=WAIT_SECONDS)
    strict.close()

    faults.restore()
    assert [item["state"] for item in cluster.health()["brokers"]] == ["running"] * 3
    until(lambda: sorted(partition(cluster, topic)["isr_nodes"]) == [1, 2, 3], "every replica back in sync")
    writer.send(topic, b"all back").get(timeout=WAIT_SECONDS)
    writer.close()
    assert read_all(cluster, topic, 3) == [b"before", b"one down", b"all back"]
    cluster.admin.delete_topics([topic])


def admin_post(emulator: Emulator, path: str) -> tuple[int, dict]:
    request = urllib.request.Request(
        f"{emulator.aws_endpoint}/_cloudtwin/{path}", data=b"{}", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_admin_api_stops_and_starts_a_broker_and_health_shows_it(cluster, emulator):
    status, answer = admin_post(emulator, "kafka/brokers/3/stop")
    assert (status, answer["broker"]["state"]) == (200, "stopped")
    health = emulator.health()["kafka"]
    assert [item["state"] for item in health["brokers"]] == ["running", "running", "stopped"]
    assert health["up"] is True and health["state"] == "ready"
    assert cluster.admin is not None and cluster.admin.broker_ids() == [1, 2]
    status, answer = admin_post(emulator, "kafka/brokers/3/stop")
    assert status == 400 and "broker 3 is stopped, not running" in answer["error"]

    status, answer = admin_post(emulator, "kafka/brokers/3/start")
    assert (status, answer["broker"]["state"]) == (200, "running")
    assert cluster.admin.broker_ids() == [1, 2, 3]
    status, answer = admin_post(emulator, "kafka/brokers/7/stop")
    assert status == 400 and "no broker 7" in answer["error"] and "1, 2, 3" in answer["error"]
