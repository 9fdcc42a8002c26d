"""Shutdown: requests still open while the emulator stops end with a 503 or a closed connection.

A consumer that is told QueueDoesNotExist while the emulator stops would give up on its queue
(or recreate it); a 503 ServiceUnavailable is retried and a closed connection is a plain outage.
"""

from __future__ import annotations

import http.client
import json
import threading
import time

import boto3
import botocore.exceptions
import pytest
from botocore.config import Config

from cloudtwin.clock import Clock
from cloudtwin.config import Settings
from cloudtwin.process import Emulator
from cloudtwin.sqs import errors
from cloudtwin.sqs.backend import SendEntry, SqsBackend
from cloudtwin.sqs.naming import RequestContext
from tests.sqs.test_long_polling import wait_until_polling

CTX = RequestContext("us-east-1", "000000000000", "http://localhost:4566")
# No retries: the test sees the very answer the server gave, not the retry that found the port closed.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(endpoint: str):
    return boto3.client(
        "sqs", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x", config=NO_RETRIES,
    )  # fmt: skip


def outage_or_503(outcome: object) -> bool:
    """What a request racing the stop may get: success, a 503 ServiceUnavailable, or a closed connection."""
    if isinstance(outcome, botocore.exceptions.ClientError):
        error = outcome.response["Error"]
        return outcome.response["ResponseMetadata"]["HTTPStatusCode"] == 503 and error["Code"] == "ServiceUnavailable"
    return not isinstance(outcome, Exception) or isinstance(
        outcome, botocore.exceptions.ConnectionError | botocore.exceptions.HTTPClientError
    )


def test_a_closed_backend_answers_service_unavailable_not_queue_does_not_exist():
    backend = SqsBackend(Clock())
    url = backend.create_queue(CTX, "orders")
    backend.close()
    calls = [
        lambda: backend.send_message(CTX, url, SendEntry("1", "x")),
        lambda: backend.receive_message(CTX, url),
        lambda: backend.get_queue_url(CTX, "orders"),
        lambda: backend.create_queue(CTX, "another"),
    ]
    for call in calls:
        with pytest.raises(errors.SqsError) as raised:
            call()
        assert (raised.value.code, raised.value.status) == ("ServiceUnavailable", 503)


def test_closing_the_backend_ends_a_waiting_receive_with_service_unavailable():
    backend = SqsBackend(Clock())
    url = backend.create_queue(CTX, "orders")
    outcome: list = []

    def receive() -> None:
        try:
            outcome.append(backend.receive_message(CTX, url, wait_seconds=20))
        except errors.SqsError as exc:
            outcome.append((exc.code, exc.status))

    waiter = threading.Thread(target=receive)
    waiter.start()
    deadline = time.monotonic() + 10
    while backend.long_polls_waiting == 0:
        assert time.monotonic() < deadline, "the receive never started waiting"
        time.sleep(0.005)
    backend.close()
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert outcome == [("ServiceUnavailable", 503)]


def test_a_long_poll_open_while_the_emulator_stops_never_hears_queue_does_not_exist():
    emulator = Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")).start()
    sqs = client(emulator.aws_endpoint)
    url = sqs.create_queue(QueueName="waiting")["QueueUrl"]
    outcome: list = []

    def poll() -> None:
        try:
            outcome.append(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20))
        except Exception as exc:
            outcome.append(exc)

    poller = threading.Thread(target=poll)
    poller.start()
    wait_until_polling(emulator)
    emulator.stop()
    poller.join(timeout=30)
    sqs.close()
    assert outcome, "the long poll did not end"
    assert isinstance(outcome[0], Exception), "a stop is not an empty receive"
    assert outage_or_503(outcome[0]), repr(outcome[0])


def test_sends_racing_the_stop_get_an_answer_a_503_or_a_closed_connection():
    emulator = Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")).start()
    server = emulator.services["aws"].server
    url = client(emulator.aws_endpoint).create_queue(QueueName="busy")["QueueUrl"]
    body = json.dumps({"QueueUrl": url, "MessageBody": "x"})
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"}
    answers: list[tuple[int, str]] = []
    sent = threading.Semaphore(0)

    def send_until_refused() -> None:
        # Raw keep-alive HTTP: many more sends land in the stop than boto3 could make.
        while True:
            connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
            try:
                while True:
                    connection.request("POST", "/", body, headers)
                    response = connection.getresponse()
                    answers.append((response.status, json.loads(response.read()).get("__type", "")))
                    sent.release()
            except ConnectionRefusedError:
                return  # the port is closed: the stop is over
            except (OSError, http.client.HTTPException):
                pass  # a closed connection is an allowed end of a request; dial again
            finally:
                connection.close()

    senders = [threading.Thread(target=send_until_refused) for _ in range(4)]
    for sender in senders:
        sender.start()
    for _ in range(100):  # every sender is in its loop before the stop
        assert sent.acquire(timeout=10)
    emulator.stop()
    for sender in senders:
        sender.join(timeout=30)
        assert not sender.is_alive()
    wrong = {
        answer for answer in answers if answer[0] != 200 and answer != (503, "com.amazonaws.sqs#ServiceUnavailable")
    }
    assert wrong == set()
