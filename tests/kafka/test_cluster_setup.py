"""How --kafka-brokers N is set up, without starting JVMs: port numbering, each node's role and replication
defaults, what other backends and the admin API say, and the plugin passing its Kafka options on."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka.choice import choose
from cloudtwin.kafka.cluster import JvmCluster
from cloudtwin.kafka.jars import KafkaJars
from cloudtwin.kafka.listeners import plan_cluster
from cloudtwin.kafka.service import KafkaService
from cloudtwin.process import Emulator
from cloudtwin.pytest_plugin import kafka_fixtures
from cloudtwin.service import ServiceStartError

pytest_plugins = ["pytester"]


def test_broker_k_listens_ten_ports_past_broker_k_minus_one_and_all_share_one_controller():
    plans = plan_cluster("127.0.0.1", "127.0.0.1", 0, 3)

    base = plans[0].ports["PLAINTEXT"]
    for k, plan in enumerate(plans):
        assert plan.ports == {
            "PLAINTEXT": base + 10 * k,
            "TLS": base + 2 + 10 * k,
            "MTLS": base + 3 + 10 * k,
            "SCRAM": base + 4 + 10 * k,
            "IAM": base + 6 + 10 * k,
        }
    assert {plan.controller_port for plan in plans} == {base + 1}


def test_a_busy_port_of_another_broker_is_named_with_the_broker():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]

        with pytest.raises(ServiceStartError) as caught:
            plan_cluster("127.0.0.1", "127.0.0.1", busy - 12, 3)  # broker 2's TLS port

    assert f"TLS {busy} (broker 2)" in str(caught.value)
    assert "+10 x (k - 1)" in str(caught.value)


def cluster_of(brokers: int, tmp_path, overrides: dict[str, str] | None = None) -> JvmCluster:
    plans = plan_cluster("127.0.0.1", "127.0.0.1", 0, brokers)
    return JvmCluster(KafkaJars(tmp_path), plans, tmp_path / "running", overrides=overrides)


def test_three_brokers_and_a_controller_node_each_with_its_role(tmp_path):
    cluster = cluster_of(3, tmp_path)
    controller_port = cluster.brokers[0].plan.controller_port
    properties = {node.node_id: node.server_properties(tmp_path / "data", controller_port) for node in cluster.nodes}

    assert {node_id: p["process.roles"] for node_id, p in properties.items()} == {
        0: "controller",
        1: "broker",
        2: "broker",
        3: "broker",
    }
    assert {p["controller.quorum.voters"] for p in properties.values()} == {f"0@127.0.0.1:{controller_port}"}
    assert properties[0]["listeners"] == f"CONTROLLER://127.0.0.1:{controller_port}"
    assert "advertised.listeners" not in properties[0] and "inter.broker.listener.name" not in properties[0]
    assert "CONTROLLER://" not in properties[2]["listeners"]
    assert properties[2]["advertised.listeners"].startswith(f"PLAINTEXT://{cluster.brokers[1].bootstrap},")
    assert cluster.bootstrap == ",".join(broker.bootstrap for broker in cluster.brokers)


def test_replication_defaults_are_msks_for_the_cluster_size_and_overridable(tmp_path):
    def replication(brokers: int, overrides: dict[str, str] | None = None) -> tuple[str, str, str]:
        cluster = cluster_of(brokers, tmp_path, overrides)
        broker = cluster.brokers[0]
        p = broker.server_properties(tmp_path / "data", broker.plan.controller_port)
        return p["default.replication.factor"], p.get("min.insync.replicas", "1"), p["offsets.topic.replication.factor"]

    assert replication(1) == ("1", "1", "1")
    assert replication(2) == ("2", "1", "2")
    assert replication(3) == ("3", "2", "3")
    assert replication(3, {"min.insync.replicas": "3"}) == ("3", "3", "3")


@pytest.mark.parametrize("backend", ["external=127.0.0.1:9", "redpanda"])
def test_other_backends_refuse_more_than_one_broker(backend):
    with pytest.raises(ServiceStartError, match="--kafka-brokers 3: the .* use --kafka jvm"):
        KafkaService(Settings(kafka=backend, kafka_port=0, kafka_brokers=3)).start()


def test_brokers_of_another_backend_cannot_be_stopped():
    service = KafkaService(Settings(kafka="external=127.0.0.1:9"))
    service.choice = choose(service.settings.kafka)  # as start() chooses; no broker to wait for needed here
    with pytest.raises(ValueError, match="only the JVM backend's brokers .* runs the external Kafka backend"):
        service.stop_broker(1)


@pytest.mark.parametrize("brokers", [0, 10])
def test_a_broker_count_out_of_range_is_refused(brokers):
    with pytest.raises(ServiceStartError, match="--kafka-brokers must be 1-9"):
        KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_brokers=brokers)).start()


def test_the_admin_api_says_why_it_cannot_stop_a_broker_without_kafka():
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as emulator:
        request = urllib.request.Request(
            f"{emulator.aws_endpoint}/_cloudtwin/kafka/brokers/1/stop",
            data=b"{}",
            headers={"Content-Type": "application/json"},
        )
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        wrong_method = urllib.request.Request(f"{emulator.aws_endpoint}/_cloudtwin/kafka/brokers/1/stop")
        with pytest.raises(urllib.error.HTTPError) as refused_get:
            urllib.request.urlopen(wrong_method, timeout=10)

    assert caught.value.code == 400
    error = json.loads(caught.value.read())["error"]
    assert "runs without Kafka" in error and "--kafka jvm" in error
    assert refused_get.value.code == 405


def test_the_plugin_starts_its_broker_with_the_kafka_options(pytester, monkeypatch):
    config = pytester.parseconfig(
        "--cloudtwin-kafka-config=log.retention.ms=1234", "--cloudtwin-kafka-brokers=3", "--cloudtwin-region=eu-west-1"
    )
    settings = kafka_fixtures.kafka_settings(config)
    assert settings == {"kafka_config": "log.retention.ms=1234", "kafka_brokers": 3}

    seen: list[Settings] = []

    class Recorded(KafkaService):
        def __init__(self, settings: Settings) -> None:
            seen.append(settings)
            super().__init__(settings)

    monkeypatch.setattr(kafka_fixtures, "KafkaService", Recorded)
    with pytest.raises(pytest.skip.Exception):
        kafka_fixtures.started_service("off", settings)
    assert (seen[0].kafka_config, seen[0].kafka_brokers, seen[0].kafka_port) == ("log.retention.ms=1234", 3, 0)
