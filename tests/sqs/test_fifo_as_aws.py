"""FIFO semantics as AWS answers them (cases recorded against AWS), over both wires, on the emulator's clock."""

from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from tests.sqs.test_fifo import send
from tests.sqs.test_messages import receive
from tests.sqs.test_queues import error_code


def bodies(messages: list[dict]) -> list[str]:
    return [m["Body"] for m in messages]


@pytest.mark.parametrize(("extended", "served_after"), [(0, []), (1, ["foo"]), (2, ["foo", "bar"])])
def test_extending_one_message_holds_back_the_rest_of_its_group(sqs, new_queue, clock, extended, served_after):
    url = new_queue(fifo=True, VisibilityTimeout=1)
    for body in ("foo", "bar", "baz"):
        send(sqs, url, body, group="1")
    received = receive(sqs, url, MaxNumberOfMessages=5)
    assert bodies(received) == ["foo", "bar", "baz"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=received[extended]["ReceiptHandle"], VisibilityTimeout=4)
    clock.advance(2.5)
    # The extended message and every message after it in the group stay back.
    assert bodies(receive(sqs, url, MaxNumberOfMessages=5)) == served_after


def test_group_returns_as_soon_as_its_head_is_visible(sqs, new_queue, clock):
    url = new_queue(fifo=True, VisibilityTimeout=30)
    send(sqs, url, "g1-m1", group="group-1")
    send(sqs, url, "g1-m2", group="group-1")
    send(sqs, url, "g2-m1", group="group-2")
    first, _ = receive(sqs, url, MaxNumberOfMessages=2)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=1)
    clock.advance(2)
    # g1-m2 is still in flight: only g1-m1 of its group comes back.
    assert bodies(receive(sqs, url, MaxNumberOfMessages=3)) == ["g2-m1", "g1-m1"]


def test_visibility_timeout_is_shared_in_a_group(sqs, new_queue, clock):
    url = new_queue(fifo=True, VisibilityTimeout=1)
    for body, group in [("g1-m1", 1), ("g1-m2", 1), ("g1-m3", 1), ("g1-m4", 1), ("g2-m1", 2), ("g3-m1", 3)]:
        send(sqs, url, body, group=f"group-{group}")
    assert bodies(receive(sqs, url, MaxNumberOfMessages=2)) == ["g1-m1", "g1-m2"]
    assert bodies(receive(sqs, url, MaxNumberOfMessages=1)) == ["g2-m1"]
    clock.advance(2)
    assert bodies(receive(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=0)) == [
        "g3-m1", "g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1",
    ]  # fmt: skip


def test_zero_delay_is_accepted_and_the_queue_delay_applies(sqs, new_queue, clock):
    url = new_queue(fifo=True, ContentBasedDeduplication="true", DelaySeconds=2)
    sent = sqs.send_message(QueueUrl=url, MessageBody="message-1", MessageGroupId="1", DelaySeconds=0)
    assert sent["MD5OfMessageBody"] == "3d6b824fd8c1520e9a047d21fee6fb1f"
    assert receive(sqs, url) == []
    clock.advance(2)
    assert bodies(receive(sqs, url)) == ["message-1"]
    url = new_queue(fifo=True)
    send(sqs, url, "Hello World!", dedup="42", DelaySeconds=0)
    assert bodies(receive(sqs, url, VisibilityTimeout=0)) == ["Hello World!"]


def test_purge_clears_the_deduplication_cache(sqs, new_queue, clock):
    url = new_queue(fifo=True)
    send(sqs, url, "message-1", dedup="same")
    sqs.purge_queue(QueueUrl=url)
    send(sqs, url, "message-2", dedup="same")
    assert bodies(receive(sqs, url)) == ["message-2"]


@pytest.mark.parametrize(("created", "switched"), [("queue", "messageGroup"), ("messageGroup", "queue")])
def test_deduplication_scope_stays_as_created(sqs, new_queue, clock, created, switched):
    """AWS reports the new DeduplicationScope but keeps deduplicating with the one the queue was created with."""
    limit = {"queue": "perQueue", "messageGroup": "perMessageGroupId"}
    url = new_queue(fifo=True, DeduplicationScope=created, FifoThroughputLimit=limit[created])
    send(sqs, url, "Test1", group="group1", dedup="same")
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"DeduplicationScope": switched, "FifoThroughputLimit": limit[switched]}
    )
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["DeduplicationScope"], attributes["FifoThroughputLimit"]) == (switched, limit[switched])
    send(sqs, url, "Test2", group="group2", dedup="same")
    expected = ["Test1"] if created == "queue" else ["Test1", "Test2"]
    assert sorted(bodies(receive(sqs, url, MaxNumberOfMessages=10))) == expected


def test_content_based_deduplication_switch_applies_to_later_sends(sqs, new_queue):
    url = new_queue(fifo=True)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "true"})
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    assert bodies(receive(sqs, url, MaxNumberOfMessages=10)) == ["same"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"ContentBasedDeduplication": "false"})
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    assert error_code(excinfo) == "InvalidParameterValue"


@pytest.mark.parametrize("missing", ["MessageGroupId", "MessageDeduplicationId"])
def test_batch_missing_fifo_ids_fails_the_request(sqs, new_queue, missing):
    url = new_queue(fifo=True, ContentBasedDeduplication="false")
    entries = [
        {"Id": "m1", "MessageBody": "messageBody", "MessageGroupId": "test-group", "MessageDeduplicationId": "d1"},
        {"Id": "m2", "MessageBody": "messageBody", "MessageGroupId": "test-group", "MessageDeduplicationId": "d2"},
    ]
    del entries[1][missing]
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    error = excinfo.value.response["Error"]
    assert (error["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]) == (
        "InvalidParameterValue",
        400,
    )
    assert (
        error["Message"]
        == {
            "MessageGroupId": "The request must contain the parameter MessageGroupId.",
            "MessageDeduplicationId": "The queue should either have ContentBasedDeduplication enabled or "
            "MessageDeduplicationId provided explicitly",
        }[missing]
    )
    assert receive(sqs, url) == []


def test_sequence_numbers_look_like_aws_and_increase(sqs, new_queue):
    url = new_queue(fifo=True)
    numbers = [send(sqs, url, f"message-{i}")["SequenceNumber"] for i in range(3)]
    assert all(re.fullmatch(r"[1-9][0-9]{19}", number) for number in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers) and len(set(numbers)) == 3
    assert "SequenceNumber" not in sqs.send_message(QueueUrl=new_queue(), MessageBody="standard")


def test_delete_after_an_extended_visibility_succeeds(sqs, new_queue, clock):
    url = new_queue(fifo=True, VisibilityTimeout=1)
    send(sqs, url, "foobar")
    [message] = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5)
    clock.advance(2)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    clock.advance(10)
    assert receive(sqs, url) == []
