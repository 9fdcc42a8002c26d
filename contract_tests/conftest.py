"""What every contract needs: a way to let time pass on the target, and fresh queues."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid

import pytest


class TargetTime:
    """Lets time pass on the target: the emulator's clock if the target is cloudtwin, else sleep."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.emulated = self._is_cloudtwin()

    def _is_cloudtwin(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.endpoint}/_cloudtwin/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def _clock(self, document: dict) -> None:
        request = urllib.request.Request(
            f"{self.endpoint}/_cloudtwin/clock",
            data=json.dumps(document).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def start(self) -> None:
        if self.emulated:
            self._clock({"freeze": True})

    def advance(self, seconds: float) -> None:
        if self.emulated:
            self._clock({"advance": seconds})
        else:
            time.sleep(seconds)

    def stop(self) -> None:
        if self.emulated:
            self._clock({"reset": True})


@pytest.fixture
def target_time(aws_endpoint_url):
    keeper = TargetTime(aws_endpoint_url)
    keeper.start()
    yield keeper
    keeper.stop()


@pytest.fixture
def make_queue(sqs_client):
    """Factory of uniquely named queues, deleted after the test."""
    made = []

    def create(fifo: bool = False, **attributes) -> str:
        name = f"contract-{uuid.uuid4().hex[:16]}" + (".fifo" if fifo else "")
        if fifo:
            attributes["FifoQueue"] = "true"
        url = sqs_client.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})
        made.append(url["QueueUrl"])
        return url["QueueUrl"]

    yield create
    for url in made:
        sqs_client.delete_queue(QueueUrl=url)


def drain(sqs, url: str, visibility_timeout: int = 30, rounds: int = 50) -> list[dict]:
    """Receive and delete until the queue answers empty; messages in the order received."""
    received = []
    for _ in range(rounds):
        messages = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility_timeout, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            break
        received.extend(messages)
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        )
    return received
