"""The emulator's admin API sees the broker: health names it, reset empties it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from cloudtwin.config import Settings
from cloudtwin.process import Emulator
from cloudtwin.pytest_plugin.kafka_fixtures import running_emulator_bootstrap, unique_name
from cloudtwin.service import ServiceStartError


def call(endpoint: str, method: str, route: str) -> dict:
    body = b"" if method == "POST" else None
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(f"{endpoint}/_cloudtwin/{route}", method=method, data=body, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise AssertionError(f"{method} {route}: {exc.code} {exc.read().decode()}") from None


def test_health_reports_the_broker_backend_and_bootstrap(aws_endpoint_url, kafka_bootstrap):
    kafka = call(aws_endpoint_url, "GET", "health")["services"]["kafka"]

    assert kafka["up"] is True
    assert kafka["state"] == "ready"
    assert kafka["bootstrap"] == kafka_bootstrap
    assert kafka["backend"] in ("jvm", "redpanda", "external")


def test_reset_deletes_topics_and_consumer_groups(aws_endpoint_url, kafka_admin, kafka_producer, kafka_consumer):
    topic, group = unique_name("reset"), unique_name("group")
    kafka_admin.create_topic(topic, partitions=2)
    producer = kafka_producer()
    producer.send(topic, b"x")
    producer.flush()
    consumer = kafka_consumer(topic, group_id=group, consumer_timeout_ms=20_000)
    assert next(iter(consumer)).value == b"x"
    consumer.commit()
    consumer.close()
    assert group in kafka_admin.list_groups()

    assert "kafka" in call(aws_endpoint_url, "POST", "reset?service=kafka")["reset"]

    assert topic not in kafka_admin.list_topics()
    assert group not in kafka_admin.list_groups()
    assert "__consumer_offsets" not in kafka_admin.list_topics()  # internal topics are never listed nor deleted


def test_a_session_pointed_at_a_running_emulator_finds_its_broker(aws_endpoint_url, kafka_bootstrap):
    assert running_emulator_bootstrap(aws_endpoint_url) == kafka_bootstrap


def test_an_emulator_without_kafka_says_so():
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as emulator:
        with pytest.raises(ServiceStartError, match="runs without Kafka"):
            running_emulator_bootstrap(emulator.aws_endpoint)
