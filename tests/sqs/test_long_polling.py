"""Long polling: a waiting receive returns as soon as a message arrives, or when its wait ends."""

from __future__ import annotations

import threading
import time

from tests.sqs.test_messages import receive


def wait_until_polling(emulator, count: int = 1) -> None:
    """Until `count` receives wait on the server: moving the clock earlier would not test the wait."""
    deadline = time.monotonic() + 30
    while emulator.services["aws"].sqs.long_polls_waiting < count:
        assert time.monotonic() < deadline, "the receive never started waiting"
        time.sleep(0.01)


def start_polling(cloudtwin, sqs, url, **receive_args) -> tuple[threading.Thread, list]:
    """A receive waiting on the server in a thread of its own; its messages land in the list."""
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(receive(sqs, url, **receive_args)))
    waiter.start()
    wait_until_polling(cloudtwin)
    return waiter, result


def test_waiting_receive_wakes_on_send(cloudtwin, sqs, new_queue):
    url = new_queue()
    waiter, result = start_polling(cloudtwin, sqs, url, WaitTimeSeconds=20)
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert [m["Body"] for m in result[0]] == ["wake up"]


def test_wait_ends_when_the_clock_passes_it(cloudtwin, sqs, new_queue, clock):
    url = new_queue()
    waiter, result = start_polling(cloudtwin, sqs, url, WaitTimeSeconds=20)
    clock.advance(20)
    waiter.join(timeout=10)
    assert not waiter.is_alive() and result == [[]]


def test_waiting_receive_sees_a_delayed_message_when_the_clock_moves(cloudtwin, sqs, new_queue, clock):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=5)
    waiter, result = start_polling(cloudtwin, sqs, url, WaitTimeSeconds=20)
    clock.advance(5)
    waiter.join(timeout=10)
    assert [m["Body"] for m in result[0]] == ["later"]


def test_queue_wait_time_attribute_is_the_default(cloudtwin, sqs, new_queue, clock):
    url = new_queue(ReceiveMessageWaitTimeSeconds=20)
    waiter, result = start_polling(cloudtwin, sqs, url)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    waiter.join(timeout=10)
    assert [m["Body"] for m in result[0]] == ["x"]


def test_short_poll_returns_at_once(sqs, new_queue):
    assert receive(sqs, new_queue(), WaitTimeSeconds=0) == []
