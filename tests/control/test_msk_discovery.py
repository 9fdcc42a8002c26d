"""Application code that finds its brokers through the MSK API reaches the live broker unchanged."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudtwin.config import Settings
from cloudtwin.process import Emulator


def msk_client(endpoint: str):
    return boto3.client(
        "kafka", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


@pytest.fixture
def msk(aws_endpoint_url, kafka_bootstrap):
    """An MSK client on an emulator whose broker is up (kafka_bootstrap starts it)."""
    return msk_client(aws_endpoint_url)


PLAINTEXT_CLIENTS = {"EncryptionInTransit": {"ClientBroker": "PLAINTEXT"}}


def discover_bootstrap(msk, cluster_name: str) -> str:
    """What application code does: find the cluster by name, wait for ACTIVE, ask for its brokers."""
    [cluster] = [c for c in msk.list_clusters()["ClusterInfoList"] if c["ClusterName"] == cluster_name]
    assert msk.describe_cluster(ClusterArn=cluster["ClusterArn"])["ClusterInfo"]["State"] == "ACTIVE"
    return msk.get_bootstrap_brokers(ClusterArn=cluster["ClusterArn"])["BootstrapBrokerString"]


def test_a_provisioned_cluster_is_active_and_leads_to_the_live_broker(msk, kafka_bootstrap, kafka_topic):
    from kafka import KafkaConsumer, KafkaProducer

    msk.create_cluster(
        ClusterName="orders",
        KafkaVersion="3.6.0",
        NumberOfBrokerNodes=3,
        BrokerNodeGroupInfo={"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"]},
        EncryptionInfo=PLAINTEXT_CLIENTS,
    )

    bootstrap = discover_bootstrap(msk, "orders")

    assert bootstrap == kafka_bootstrap
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    producer.send(kafka_topic, b"found through MSK")
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(
        kafka_topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=20_000
    )
    assert next(iter(consumer)).value == b"found through MSK"
    consumer.close()


def test_a_serverless_v2_cluster_is_active_and_has_the_live_brokers(msk, kafka_service):
    arn = msk.create_cluster_v2(ClusterName="events", Serverless={"VpcConfigs": [{"SubnetIds": ["subnet-a"]}]})[
        "ClusterArn"
    ]

    assert msk.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["State"] == "ACTIVE"
    listeners, _ = kafka_service.client_listeners()
    assert msk.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerStringSaslIam"] == listeners["IAM"]


def test_brokers_of_an_unknown_cluster_are_not_found(msk):
    arn = "arn:aws:kafka:us-east-1:123456789012:cluster/missing/00000000-0000-0000-0000-000000000000"

    with pytest.raises(ClientError) as caught:
        msk.get_bootstrap_brokers(ClusterArn=arn)

    assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_without_kafka_the_brokers_request_says_how_to_get_one():
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as emulator:
        msk = msk_client(emulator.aws_endpoint)
        arn = msk.create_cluster_v2(ClusterName="no-broker", Serverless={"VpcConfigs": [{"SubnetIds": ["s"]}]})[
            "ClusterArn"
        ]

        with pytest.raises(ClientError) as caught:
            msk.get_bootstrap_brokers(ClusterArn=arn)

    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert "--kafka auto" in caught.value.response["Error"]["Message"]


def test_an_advertised_address_is_what_clients_discover(kafka_bootstrap):
    # As in docker/compose.yaml: the emulator reaches the broker by one name, clients by another.
    settings = Settings(
        aws_port=0, redis_port=-1, kafka=f"external={kafka_bootstrap}", kafka_advertised="localhost:19092"
    )
    with Emulator(settings) as emulator:
        msk = msk_client(emulator.aws_endpoint)
        arn = msk.create_cluster_v2(
            ClusterName="advertised",
            Provisioned={
                "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ClientSubnets": ["s"]},
                "KafkaVersion": "3.6.0",
                "NumberOfBrokerNodes": 1,
                "EncryptionInfo": PLAINTEXT_CLIENTS,
            },
        )["ClusterArn"]
        assert msk.get_bootstrap_brokers(ClusterArn=arn)["BootstrapBrokerString"] == "localhost:19092"
        health = emulator.health()["kafka"]
        assert (health["bootstrap"], health["endpoint"]) == ("localhost:19092", kafka_bootstrap)


def test_a_backend_without_the_iam_listener_says_so_for_an_iam_cluster(kafka_bootstrap):
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka=f"external={kafka_bootstrap}")) as emulator:
        msk = msk_client(emulator.aws_endpoint)
        arn = msk.create_cluster_v2(ClusterName="iam", Serverless={"VpcConfigs": [{"SubnetIds": ["s"]}]})["ClusterArn"]

        with pytest.raises(ClientError) as caught:
            msk.get_bootstrap_brokers(ClusterArn=arn)

    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert "IAM listener" in caught.value.response["Error"]["Message"]
    assert "external Kafka backend has only a plaintext listener" in caught.value.response["Error"]["Message"]
