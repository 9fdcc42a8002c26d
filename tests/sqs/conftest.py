"""Fixtures for SQS integration tests: one emulator per session, clients per wire protocol."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudtwin.contract_tests.sqs.query_client import QueryClient

WIRE_PROTOCOLS = ["json", "query"]


def make_json_client(endpoint: str, region: str = "us-east-1", access_key: str = "test"):
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
    )


@pytest.fixture(params=WIRE_PROTOCOLS)
def sqs(request, aws_endpoint_url):
    """An SQS client speaking each wire protocol in turn, with boto3's method names and shapes."""
    if request.param == "json":
        return make_json_client(aws_endpoint_url)
    if request.param == "query":
        return QueryClient(aws_endpoint_url)
    raise AssertionError(request.param)


@pytest.fixture
def new_queue(sqs):
    """Factory: create a queue with a unique name; every queue made is deleted after the test."""
    made = []

    def create(fifo: bool = False, **attributes) -> str:
        name = f"t-{uuid.uuid4().hex[:20]}" + (".fifo" if fifo else "")
        if fifo:
            attributes["FifoQueue"] = "true"
        url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
        made.append(url)
        return url

    yield create
    for url in made:
        try:
            sqs.delete_queue(QueueUrl=url)
        except ClientError:
            pass  # the test deleted it itself


@pytest.fixture
def clock(cloudtwin_clock):
    """The emulator's clock, frozen for the test so that only advance() moves it."""
    cloudtwin_clock.freeze()
    return cloudtwin_clock


@pytest.fixture
def client(aws_endpoint_url):
    """The project's own Query-protocol client, for tests of that wire."""
    return QueryClient(aws_endpoint_url)


@pytest.fixture
def queue_url(client):
    url = client.create_queue(QueueName=f"query-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    yield url
    try:
        client.delete_queue(QueueUrl=url)
    except ClientError:
        pass  # the test deleted it


def path_of(url: str) -> str:
    return urlsplit(url).path
