"""Clients and cluster shapes shared by the MSK control-plane tests."""

from __future__ import annotations

import boto3
import pytest

from cloudtwin.kafka.service import KafkaService

REGION = "us-east-1"
BROKER_GROUP = {"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-a", "subnet-b", "subnet-c"]}


def aws_client(service: str, endpoint: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="test", aws_secret_access_key="test"
    )


def secured_broker(kafka_service: KafkaService) -> KafkaService:
    """The session broker, when it opens MSK's secured listeners (the JVM backend does; a shared one may not)."""
    listeners, off = kafka_service.client_listeners()
    if "IAM" not in listeners:
        pytest.skip(f"the session's broker has no IAM listener: {off.get('IAM')}")
    return kafka_service


def create_cluster(msk, name: str, **settings) -> str:
    return msk.create_cluster(
        ClusterName=name, KafkaVersion="3.6.0", NumberOfBrokerNodes=3, BrokerNodeGroupInfo=BROKER_GROUP, **settings
    )["ClusterArn"]
