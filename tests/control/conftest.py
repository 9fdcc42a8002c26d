"""An emulator for the ElastiCache tests (no Kafka, no 6379 Redis) and a boto3 client of it."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from cloudtwin.config import Settings
from cloudtwin.process import Emulator


@pytest.fixture(scope="module")
def emulator_for_caches() -> Iterator[Emulator]:
    with Emulator(Settings(aws_port=0, redis_port=0, kafka="off")) as emulator:
        yield emulator


@pytest.fixture
def elasticache(emulator_for_caches):
    client = boto3.client(
        "elasticache",
        endpoint_url=emulator_for_caches.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    yield client
    emulator_for_caches.reset("elasticache")
