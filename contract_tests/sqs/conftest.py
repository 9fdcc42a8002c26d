"""SQS targets: the in-process twin and, with --contract-sqs-endpoint, a real endpoint; each over every wire."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudtwin.contract_tests.plugin import Target, contract_option, register_target
from cloudtwin.contract_tests.sqs.query_client import QueryClient
from cloudtwin.contract_tests.target_time import TargetTime

WIRES = ("json", "query")


def _wires(config: pytest.Config) -> list[str]:
    wires = [wire.strip() for wire in contract_option(config, "sqs_wires").split(",") if wire.strip()]
    unknown = set(wires) - set(WIRES)
    if unknown:
        raise pytest.UsageError(f"--contract-sqs-wires: unknown wire(s) {sorted(unknown)}; choose from {WIRES}")
    return wires


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "sqs_target" not in metafunc.fixturenames:
        return
    sides = ["cloudtwin"] + (["real"] if contract_option(metafunc.config, "sqs_endpoint") else [])
    names = [f"{side}-{wire}" for side in sides for wire in _wires(metafunc.config)]
    metafunc.parametrize("sqs_target", names, indirect=True)


@dataclass
class SqsSide:
    """One SQS target as the properties use it: a client, its clock, and fresh queues."""

    target: Target
    client: Any  # boto3's SQS client or the Query client, same method names and shapes
    time: TargetTime
    prefix: str
    queues: list[str] = field(default_factory=list)

    @property
    def wait(self) -> int:
        """WaitTimeSeconds for a receive that should find what is there: a long poll reaches every server of a
        real queue, while a frozen twin answers at once and its long poll would wait for the clock to move."""
        return 0 if self.target.moves_time else 2

    def queue(self, fifo: bool = False, **attributes: Any) -> str:
        name = f"{self.prefix}{uuid.uuid4().hex[:16]}" + (".fifo" if fifo else "")
        if fifo:
            attributes["FifoQueue"] = "true"
        url = self.client.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})
        self.queues.append(url["QueueUrl"])
        return url["QueueUrl"]

    def delete_queues(self) -> None:
        while self.queues:
            try:
                self.client.delete_queue(QueueUrl=self.queues.pop())
            except ClientError:
                pass  # a property deleted it itself

    def arn(self, url: str) -> str:
        return self.client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def receive(self, url: str, wait: int = 0, **params: Any) -> list[dict]:
        params.setdefault("MaxNumberOfMessages", 10)
        params.setdefault("AttributeNames", ["All"])
        return self.client.receive_message(QueueUrl=url, WaitTimeSeconds=wait, **params).get("Messages", [])

    def drain(self, url: str, visibility_timeout: int = 30, rounds: int = 100) -> list[dict]:
        """Receive and delete until the queue answers empty; messages in the order received."""
        received = []
        for _ in range(rounds):
            messages = self.receive(url, wait=self.wait, VisibilityTimeout=visibility_timeout)
            if not messages:
                break
            received.extend(messages)
            self.client.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return received


def _region(endpoint: str) -> str:
    found = re.search(r"sqs[.-]([a-z0-9-]+)\.amazonaws\.com", endpoint)
    if found:
        return found.group(1)
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


def _client(wire: str, endpoint: str, real: bool) -> Any:
    import boto3

    region = _region(endpoint)
    if real:  # the user's credentials, as boto3 finds them (environment, profile, SSO, instance role)
        session = boto3.Session(region_name=region)
        if session.get_credentials() is None:
            pytest.fail(f"no AWS credentials for {endpoint}: set AWS_PROFILE or AWS_ACCESS_KEY_ID", pytrace=False)
        if wire == "json":
            return session.client("sqs", endpoint_url=endpoint)
        return QueryClient(endpoint, region=region, credentials=session.get_credentials())
    if wire == "json":
        return boto3.client(
            "sqs", endpoint_url=endpoint, region_name=region, aws_access_key_id="test", aws_secret_access_key="test"
        )
    return QueryClient(endpoint, region=region)


def _side(request: pytest.FixtureRequest, name: str) -> SqsSide:
    side_name, wire = name.split("-")
    if side_name == "real":
        endpoint = contract_option(request.config, "sqs_endpoint").rstrip("/")
        description = f"SQS at {endpoint} over {wire}"
    else:
        endpoint = request.getfixturevalue("aws_endpoint_url")
        description = f"cloudtwin SQS over {wire}"
    time = TargetTime(endpoint)
    target = Target(name, description, moves_time=time.emulated)
    register_target(request.config, "sqs", target)
    prefix = contract_option(request.config, "queue_prefix")
    return SqsSide(target, _client(wire, endpoint, real=side_name == "real"), time, prefix)


@pytest.fixture(scope="session")
def sqs_sides() -> dict[str, SqsSide]:
    return {}


@pytest.fixture
def sqs_target(request: pytest.FixtureRequest, sqs_sides: dict[str, SqsSide]) -> Iterator[SqsSide]:
    """The SQS target of this test, its clock frozen for the test when it is the twin."""
    side = sqs_sides.get(request.param)
    if side is None:
        side = sqs_sides[request.param] = _side(request, request.param)
    side.time.start()
    try:
        yield side
    finally:
        side.time.stop()
        side.delete_queues()
