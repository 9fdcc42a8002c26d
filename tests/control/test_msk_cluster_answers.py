"""DescribeCluster(V2), ListNodes and DeleteCluster answer with the broker the twin runs, and 404 as MSK does."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.control.msk_helpers import BROKER_GROUP, aws_client, create_cluster

MISSING = "arn:aws:kafka:us-east-1:123456789012:cluster/missing/00000000-0000-0000-0000-000000000000-1"
IAM = {"Sasl": {"Iam": {"Enabled": True}}}


@pytest.fixture(scope="module")
def msk(aws_endpoint_url, kafka_service):
    kafka_service.wait_ready()
    return aws_client("kafka", aws_endpoint_url)


def test_describe_cluster_shows_the_version_the_broker_runs_and_no_placeholders(msk, kafka_service):
    arn = create_cluster(msk, "described", ClientAuthentication=IAM)

    info = msk.describe_cluster(ClusterArn=arn)["ClusterInfo"]

    assert info["CurrentBrokerSoftwareInfo"] == {"KafkaVersion": kafka_service.kafka_version}
    assert kafka_service.kafka_version == "4.3.1"
    for absent in ("ZookeeperConnectString", "ZookeeperConnectStringTls", "ActiveOperationArn", "StateInfo"):
        assert absent not in info
    assert info["ClientAuthentication"] == {
        "Sasl": {"Scram": {"Enabled": False}, "Iam": {"Enabled": True}},
        "Tls": {"Enabled": False},
        "Unauthenticated": {"Enabled": False},
    }
    assert info["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}


def test_a_named_configuration_is_shown_as_given(msk):
    configuration = {"Arn": "arn:aws:kafka:us-east-1:123456789012:configuration/tuned/1", "Revision": 3}
    arn = create_cluster(msk, "configured", ConfigurationInfo=configuration)

    software = msk.describe_cluster(ClusterArn=arn)["ClusterInfo"]["CurrentBrokerSoftwareInfo"]

    assert (software["ConfigurationArn"], software["ConfigurationRevision"]) == (configuration["Arn"], 3)


def test_describe_cluster_v2_shows_the_same_truths(msk, kafka_service):
    arn = msk.create_cluster_v2(
        ClusterName="described-v2",
        Provisioned={
            "BrokerNodeGroupInfo": BROKER_GROUP,
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": 3,
            "ClientAuthentication": IAM,
            "EncryptionInfo": {"EncryptionInTransit": {"ClientBroker": "TLS_PLAINTEXT"}},
        },
    )["ClusterArn"]

    provisioned = msk.describe_cluster_v2(ClusterArn=arn)["ClusterInfo"]["Provisioned"]

    assert provisioned["CurrentBrokerSoftwareInfo"] == {"KafkaVersion": kafka_service.kafka_version}
    assert "ZookeeperConnectString" not in provisioned
    assert provisioned["ClientAuthentication"]["Sasl"]["Iam"] == {"Enabled": True}
    assert provisioned["EncryptionInfo"]["EncryptionInTransit"]["ClientBroker"] == "TLS_PLAINTEXT"
    [listed] = [c for c in msk.list_clusters_v2()["ClusterInfoList"] if c["ClusterArn"] == arn]
    assert listed["Provisioned"]["CurrentBrokerSoftwareInfo"] == {"KafkaVersion": kafka_service.kafka_version}


@pytest.mark.parametrize("operation", ["describe_cluster", "describe_cluster_v2", "list_nodes", "delete_cluster"])
def test_an_unknown_cluster_is_not_found(msk, operation):
    with pytest.raises(ClientError) as caught:
        getattr(msk, operation)(ClusterArn=MISSING)

    assert caught.value.response["Error"]["Code"] == "NotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_a_deleted_cluster_is_not_found(msk):
    arn = create_cluster(msk, "deleted")
    msk.delete_cluster(ClusterArn=arn)

    for operation in (msk.describe_cluster, msk.describe_cluster_v2, msk.get_bootstrap_brokers):
        with pytest.raises(ClientError) as caught:
            operation(ClusterArn=arn)
        assert caught.value.response["Error"]["Code"] == "NotFoundException"


def test_list_nodes_shows_the_broker_clients_reach(msk, kafka_service):
    arn = create_cluster(msk, "nodes")
    host = kafka_service.client_listeners()[0]["PLAINTEXT"].rpartition(":")[0]

    [node] = msk.list_nodes(ClusterArn=arn)["NodeInfoList"]

    assert node["NodeType"] == "BROKER"
    assert node["InstanceType"] == "kafka.m5.large"
    broker = node["BrokerNodeInfo"]
    assert broker["BrokerId"] == 1
    assert broker["Endpoints"] == [host]
    assert broker["ClientVpcIpAddress"] == host
    assert broker["ClientSubnet"] == "subnet-a"
    assert broker["CurrentBrokerSoftwareInfo"] == {"KafkaVersion": kafka_service.kafka_version}


def test_list_nodes_of_a_serverless_cluster_is_refused(msk):
    arn = msk.create_cluster_v2(ClusterName="no-nodes", Serverless={"VpcConfigs": [{"SubnetIds": ["s"]}]})["ClusterArn"]

    with pytest.raises(ClientError) as caught:
        msk.list_nodes(ClusterArn=arn)

    assert caught.value.response["Error"]["Code"] == "BadRequestException"
