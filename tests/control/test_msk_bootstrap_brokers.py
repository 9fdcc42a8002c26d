"""GetBootstrapBrokers answers per cluster as MSK does, from its ClientAuthentication and EncryptionInfo,
and each string points at the broker listener that speaks that protocol."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.control.msk_helpers import aws_client, create_cluster, secured_broker

SCRAM = {"Sasl": {"Scram": {"Enabled": True}}}
IAM = {"Sasl": {"Iam": {"Enabled": True}}}
MUTUAL_TLS = {
    "Tls": {"CertificateAuthorityArnList": ["arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"]}
}
OPEN = {"Unauthenticated": {"Enabled": True}}


def in_transit(client_broker: str) -> dict:
    return {"EncryptionInTransit": {"ClientBroker": client_broker, "InCluster": True}}


@pytest.fixture(scope="module")
def listeners(kafka_service):
    return secured_broker(kafka_service).client_listeners()[0]


@pytest.fixture(scope="module")
def msk(aws_endpoint_url, listeners):
    return aws_client("kafka", aws_endpoint_url)


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        # MSK's defaults: TLS between clients and brokers, unauthenticated access.
        ({}, {"BootstrapBrokerStringTls": "TLS"}),
        ({"EncryptionInfo": in_transit("PLAINTEXT")}, {"BootstrapBrokerString": "PLAINTEXT"}),
        (
            {"EncryptionInfo": in_transit("TLS_PLAINTEXT"), "ClientAuthentication": OPEN},
            {"BootstrapBrokerString": "PLAINTEXT", "BootstrapBrokerStringTls": "TLS"},
        ),
        ({"ClientAuthentication": IAM}, {"BootstrapBrokerStringSaslIam": "IAM"}),
        ({"ClientAuthentication": SCRAM}, {"BootstrapBrokerStringSaslScram": "SCRAM"}),
        ({"ClientAuthentication": MUTUAL_TLS}, {"BootstrapBrokerStringTls": "MTLS"}),
        (
            {"ClientAuthentication": {**MUTUAL_TLS, **OPEN}},
            {"BootstrapBrokerStringTls": "TLS"},  # a client certificate is optional then
        ),
        (
            {
                "ClientAuthentication": {"Sasl": {"Scram": {"Enabled": True}, "Iam": {"Enabled": True}}, **OPEN},
                "EncryptionInfo": in_transit("TLS_PLAINTEXT"),
            },
            {
                "BootstrapBrokerString": "PLAINTEXT",
                "BootstrapBrokerStringTls": "TLS",
                "BootstrapBrokerStringSaslScram": "SCRAM",
                "BootstrapBrokerStringSaslIam": "IAM",
            },
        ),
    ],
    ids=["defaults", "plaintext", "tls-plaintext", "iam", "scram", "mutual-tls", "tls-optional-cert", "all"],
)
def test_each_cluster_gets_the_strings_of_what_it_enables(msk, listeners, settings, expected):
    arn = create_cluster(msk, "bootstrap", **settings)

    answer = msk.get_bootstrap_brokers(ClusterArn=arn)

    answer.pop("ResponseMetadata")
    assert answer == {key: listeners[listener] for key, listener in expected.items()}


def test_a_v2_provisioned_cluster_keeps_its_authentication(msk, listeners):
    arn = msk.create_cluster_v2(
        ClusterName="v2-iam",
        Provisioned={
            "BrokerNodeGroupInfo": {"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-a", "subnet-b"]},
            "KafkaVersion": "3.6.0",
            "NumberOfBrokerNodes": 2,
            "ClientAuthentication": IAM,
        },
    )["ClusterArn"]

    answer = msk.get_bootstrap_brokers(ClusterArn=arn)

    assert "BootstrapBrokerString" not in answer
    assert answer["BootstrapBrokerStringSaslIam"] == listeners["IAM"]


def test_a_serverless_cluster_is_iam_only(msk, listeners):
    arn = msk.create_cluster_v2(
        ClusterName="serverless",
        Serverless={
            "VpcConfigs": [{"SubnetIds": ["subnet-a"]}],
            "ClientAuthentication": {"Sasl": {"Iam": {"Enabled": True}}},
        },
    )["ClusterArn"]

    answer = msk.get_bootstrap_brokers(ClusterArn=arn)

    answer.pop("ResponseMetadata")
    assert answer == {"BootstrapBrokerStringSaslIam": listeners["IAM"]}


@pytest.mark.parametrize("authentication", [IAM, SCRAM, MUTUAL_TLS], ids=["iam", "scram", "mutual-tls"])
def test_client_authentication_without_tls_is_refused(msk, authentication):
    with pytest.raises(ClientError) as caught:
        create_cluster(msk, "no-tls", ClientAuthentication=authentication, EncryptionInfo=in_transit("PLAINTEXT"))

    assert caught.value.response["Error"]["Code"] == "BadRequestException"
    assert "TLS" in caught.value.response["Error"]["Message"]


def test_the_broker_port_numbers_follow_msk(listeners):
    plaintext = int(listeners["PLAINTEXT"].rpartition(":")[2])

    offsets = {name: int(address.rpartition(":")[2]) - plaintext for name, address in listeners.items()}

    assert offsets == {"PLAINTEXT": 0, "TLS": 2, "MTLS": 3, "SCRAM": 4, "IAM": 6}
