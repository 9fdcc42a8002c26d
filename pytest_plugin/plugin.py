"""The cloudtwin pytest plugin: an emulator per test session, and clients and resources per test.

Every option can be given on the command line (`--cloudtwin-<name>`) or in the ini file
(`cloudtwin_<name>`).
"""

from __future__ import annotations

import os
import uuid

import pytest

from emulator.clock import clock as emulator_clock
from emulator.config import Settings
from emulator.process import Emulator
from pytest_plugin.redis_fixtures import redis_client, redis_client_factory, redis_endpoint  # noqa: F401

_OPTIONS = {
    "region": ("region of the clients the fixtures hand out", "us-east-1"),
    "endpoint": ("use a running emulator at this AWS endpoint instead of starting one", ""),
    "redis_url": ("use the Redis server at this URL (redis:// or rediss://) instead of the emulator's", ""),
    "kafka": ("Kafka backend for sessions using Kafka fixtures: auto|redpanda|jvm|external=HOST:PORT|off", "auto"),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cloudtwin")
    for name, (help_text, default) in _OPTIONS.items():
        group.addoption(f"--cloudtwin-{name.replace('_', '-')}", dest=f"cloudtwin_{name}", default=None, help=help_text)
        parser.addini(f"cloudtwin_{name}", help=help_text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    # kafka-python 3 reads its own resources through importlib's legacy API, which warns on
    # every client the Kafka fixtures build; the warning is not the user's to act on.
    config.addinivalue_line("filterwarnings", "ignore:(open_text|read_text) is deprecated:DeprecationWarning")


def cloudtwin_option(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"cloudtwin_{name}")
    return value if value is not None else config.getini(f"cloudtwin_{name}")


@pytest.fixture(scope="session")
def cloudtwin(request: pytest.FixtureRequest):
    """The emulator for this session, on ephemeral 127.0.0.1 ports; stopped at the end."""
    settings = Settings(aws_port=0, redis_port=0, kafka="off", region=cloudtwin_option(request.config, "region"))
    with Emulator(settings) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def aws_endpoint_url(request: pytest.FixtureRequest) -> str:
    external = cloudtwin_option(request.config, "endpoint")
    if external:
        return external.rstrip("/")
    return request.getfixturevalue("cloudtwin").aws_endpoint


@pytest.fixture
def cloudtwin_clock():
    """The emulator's clock; set back to wall time after the test."""
    yield emulator_clock
    emulator_clock.reset()


@pytest.fixture(scope="session")
def sqs_client(request: pytest.FixtureRequest, aws_endpoint_url: str):
    """A boto3 SQS client; credentials from the environment when it has them (a real target)."""
    import boto3

    credentials = (
        {} if os.environ.get("AWS_ACCESS_KEY_ID") else {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    )
    return boto3.client(
        "sqs", endpoint_url=aws_endpoint_url, region_name=cloudtwin_option(request.config, "region"), **credentials
    )


def _queue_fixture(fifo: bool):
    def fixture(sqs_client):
        name = f"test-{uuid.uuid4().hex[:16]}" + (".fifo" if fifo else "")
        attributes = {"FifoQueue": "true"} if fifo else {}
        url = sqs_client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        yield url
        sqs_client.delete_queue(QueueUrl=url)

    fixture.__doc__ = f"URL of a fresh {'FIFO' if fifo else 'standard'} queue, deleted after the test."
    return fixture


sqs_queue = pytest.fixture(_queue_fixture(fifo=False), name="sqs_queue")
sqs_fifo_queue = pytest.fixture(_queue_fixture(fifo=True), name="sqs_fifo_queue")

from pytest_plugin.kafka_fixtures import *  # noqa: E402, F403 - Kafka fixtures, in their own module
