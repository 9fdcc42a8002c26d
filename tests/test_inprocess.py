"""The emulator started from Python: ephemeral ports, and nothing left behind after stop()."""

from __future__ import annotations

import socket
import threading

import boto3
import pytest

from cloudtwin.config import Settings
from cloudtwin.process import Emulator
from cloudtwin.service import ServiceStartError
from tests.sqs.test_long_polling import wait_until_polling


def test_start_use_stop_leaves_no_thread_or_socket():
    threads_before = set(threading.enumerate())
    emulator = Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")).start()
    server = emulator.services["aws"].server
    host, port = server.host, server.port
    sqs = boto3.client(
        "sqs", endpoint_url=emulator.aws_endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    )  # fmt: skip
    url = sqs.create_queue(QueueName="inprocess")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert emulator.health()["aws"]["sqs"]["queues"] == 1
    emulator.stop()
    sqs.close()
    leftover = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
    assert leftover == []
    # The port is free again: binding it succeeds.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def test_two_emulators_side_by_side_on_ephemeral_ports():
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as first:
        with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as second:
            assert first.aws_endpoint != second.aws_endpoint


def test_stop_ends_a_waiting_long_poll():
    threads_before = set(threading.enumerate())
    emulator = Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")).start()
    sqs = boto3.client(
        "sqs", endpoint_url=emulator.aws_endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x",
    )  # fmt: skip
    url = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    outcome: list = []

    def poll() -> None:
        try:
            outcome.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
        except Exception as exc:  # a 503 or a closed connection: either ends the poll
            outcome.append(exc)

    poller = threading.Thread(target=poll)
    poller.start()
    wait_until_polling(emulator)  # stop while it really waits
    emulator.stop()
    poller.join(timeout=30)
    sqs.close()
    assert outcome, "the long poll did not end"
    leftover = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
    assert leftover == []


def test_a_redis_that_cannot_start_fails_the_start_and_stops_the_aws_endpoint():
    threads_before = set(threading.enumerate())
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        emulator = Emulator(Settings(aws_port=0, redis_port=port, kafka="off"))
        with pytest.raises(ServiceStartError, match=f"redis: port {port} on 127.0.0.1 is already in use"):
            emulator.start()
    assert emulator.health()["aws"]["up"] is False
    leftover = [t for t in set(threading.enumerate()) - threads_before if t.is_alive()]
    assert leftover == []
