"""BatchAssociateScramSecret makes a Secrets Manager secret a SCRAM-SHA-512 login on the broker's SCRAM
listener; BatchDisassociateScramSecret takes it away; ListScramSecrets lists what is associated."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.control.msk_helpers import aws_client, create_cluster, secured_broker
from tests.kafka.secured_clients import broker_ids, refusal, scram_settings

SCRAM = {"Sasl": {"Scram": {"Enabled": True}}}


@pytest.fixture(scope="module")
def clients(aws_endpoint_url, kafka_service):
    secured_broker(kafka_service)
    return {name: aws_client(name, aws_endpoint_url) for name in ("kafka", "secretsmanager", "kms")}


@pytest.fixture(scope="module")
def kms_key(clients) -> str:
    return clients["kms"].create_key(Description="MSK SCRAM secrets")["KeyMetadata"]["Arn"]


@pytest.fixture
def make_secret(clients, kms_key):
    def make(user: str, password: str, prefix: str = "AmazonMSK_", kms: bool = True) -> str:
        settings = {"KmsKeyId": kms_key} if kms else {}
        return clients["secretsmanager"].create_secret(
            Name=f"{prefix}{user}-{uuid.uuid4().hex[:6]}",
            SecretString=json.dumps({"username": user, "password": password}),
            **settings,
        )["ARN"]

    return make


@pytest.fixture
def scram_cluster(clients) -> str:
    return create_cluster(clients["kafka"], f"scram-{uuid.uuid4().hex[:6]}", ClientAuthentication=SCRAM)


def test_an_associated_secret_logs_in_and_a_disassociated_one_no_longer_does(
    clients, kafka_service, make_secret, scram_cluster
):
    msk = clients["kafka"]
    user = f"alice-{uuid.uuid4().hex[:6]}"
    secret = make_secret(user, "alice-secret")
    bootstrap = msk.get_bootstrap_brokers(ClusterArn=scram_cluster)["BootstrapBrokerStringSaslScram"]

    answer = msk.batch_associate_scram_secret(ClusterArn=scram_cluster, SecretArnList=[secret])

    assert answer["ClusterArn"] == scram_cluster
    assert answer["UnprocessedScramSecrets"] == []
    assert msk.list_scram_secrets(ClusterArn=scram_cluster)["SecretArnList"] == [secret]
    assert broker_ids(scram_settings(kafka_service, user, "alice-secret"), bootstrap) == [1]
    assert "Authentication failed" in refusal(scram_settings(kafka_service, user, "wrong"), bootstrap)

    answer = msk.batch_disassociate_scram_secret(ClusterArn=scram_cluster, SecretArnList=[secret])

    assert answer["UnprocessedScramSecrets"] == []
    assert msk.list_scram_secrets(ClusterArn=scram_cluster)["SecretArnList"] == []
    assert "Authentication failed" in refusal(scram_settings(kafka_service, user, "alice-secret"), bootstrap)


def test_secrets_msk_cannot_use_are_returned_unprocessed(clients, make_secret, scram_cluster):
    msk = clients["kafka"]
    unprefixed = make_secret("bob", "pw", prefix="app_")
    default_key = make_secret("carol", "pw", kms=False)
    missing = "arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_missing-abcdef"

    answer = msk.batch_associate_scram_secret(
        ClusterArn=scram_cluster, SecretArnList=[unprefixed, default_key, missing]
    )

    errors = {item["SecretArn"]: item for item in answer["UnprocessedScramSecrets"]}
    assert set(errors) == {unprefixed, default_key, missing}
    assert {item["ErrorCode"] for item in errors.values()} == {"InvalidSecretArn"}
    assert "prefix 'AmazonMSK_'" in errors[unprefixed]["ErrorMessage"]
    assert "KMS key" in errors[default_key]["ErrorMessage"]
    assert msk.list_scram_secrets(ClusterArn=scram_cluster)["SecretArnList"] == []


def test_list_scram_secrets_pages(clients, make_secret, scram_cluster):
    msk = clients["kafka"]
    secrets = [make_secret(f"user{n}", "pw") for n in range(3)]
    msk.batch_associate_scram_secret(ClusterArn=scram_cluster, SecretArnList=secrets)

    first = msk.list_scram_secrets(ClusterArn=scram_cluster, MaxResults=2)
    second = msk.list_scram_secrets(ClusterArn=scram_cluster, MaxResults=2, NextToken=first["NextToken"])

    assert first["SecretArnList"] + second["SecretArnList"] == secrets
    assert "NextToken" not in second


def test_a_cluster_without_scram_refuses_secrets(clients, make_secret):
    arn = create_cluster(clients["kafka"], "no-scram", ClientAuthentication={"Sasl": {"Iam": {"Enabled": True}}})

    with pytest.raises(ClientError) as caught:
        clients["kafka"].batch_associate_scram_secret(ClusterArn=arn, SecretArnList=[make_secret("dave", "pw")])

    assert caught.value.response["Error"]["Code"] == "BadRequestException"


def test_a_user_stays_while_another_cluster_still_has_its_secret(clients, kafka_service, make_secret):
    msk = clients["kafka"]
    user = f"erin-{uuid.uuid4().hex[:6]}"
    secret = make_secret(user, "erin-secret")
    first, second = (create_cluster(msk, name, ClientAuthentication=SCRAM) for name in ("shared-1", "shared-2"))
    for cluster in (first, second):
        msk.batch_associate_scram_secret(ClusterArn=cluster, SecretArnList=[secret])
    bootstrap = msk.get_bootstrap_brokers(ClusterArn=first)["BootstrapBrokerStringSaslScram"]

    msk.delete_cluster(ClusterArn=first)

    assert broker_ids(scram_settings(kafka_service, user, "erin-secret"), bootstrap) == [1]
    msk.batch_disassociate_scram_secret(ClusterArn=second, SecretArnList=[secret])
    assert "Authentication failed" in refusal(scram_settings(kafka_service, user, "erin-secret"), bootstrap)
