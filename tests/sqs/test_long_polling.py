"""Long polling: a waiting receive returns as soon as a message arrives, or when its wait ends."""

from __future__ import annotations

import threading
import time

from tests.sqs.test_messages import receive


def test_waiting_receive_wakes_on_send(sqs, new_queue, aws_endpoint_url):
    url = new_queue()
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(receive(sqs, url, WaitTimeSeconds=20)))
    waiter.start()
    time.sleep(0.2)  # let the receive reach the server and start waiting; it is not a timing assertion
    assert waiter.is_alive()
    sqs.send_message(QueueUrl=url, MessageBody="wake up")
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    assert [m["Body"] for m in result[0]] == ["wake up"]


def test_wait_ends_when_the_clock_passes_it(sqs, new_queue, clock):
    url = new_queue()
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(receive(sqs, url, WaitTimeSeconds=20)))
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive()
    clock.advance(20)
    waiter.join(timeout=10)
    assert not waiter.is_alive() and result == [[]]


def test_waiting_receive_sees_a_delayed_message_when_the_clock_moves(sqs, new_queue, clock):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=5)
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(receive(sqs, url, WaitTimeSeconds=20)))
    waiter.start()
    time.sleep(0.2)
    clock.advance(5)
    waiter.join(timeout=10)
    assert [m["Body"] for m in result[0]] == ["later"]


def test_queue_wait_time_attribute_is_the_default(sqs, new_queue, clock):
    url = new_queue(ReceiveMessageWaitTimeSeconds=20)
    result: list = []
    waiter = threading.Thread(target=lambda: result.append(receive(sqs, url)))
    waiter.start()
    time.sleep(0.2)
    assert waiter.is_alive()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    waiter.join(timeout=10)
    assert [m["Body"] for m in result[0]] == ["x"]


def test_short_poll_returns_at_once(sqs, new_queue):
    assert receive(sqs, new_queue(), WaitTimeSeconds=0) == []
