"""FIFO queues: group ids, order within a group, group locks, deduplication, receive attempts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.sqs.test_messages import counts, receive
from tests.sqs.test_queues import error_code


def send(sqs, url, body, group="g", dedup=None, **kwargs):
    return sqs.send_message(
        QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup or body, **kwargs
    )


def test_group_id_is_required(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(fifo=True), MessageBody="x", MessageDeduplicationId="d")
    assert error_code(excinfo) == "MissingParameter"


def test_dedup_id_or_content_based_deduplication_is_required(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(fifo=True), MessageBody="x", MessageGroupId="g")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_per_message_delay_is_rejected(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        send(sqs, new_queue(fifo=True), "x", DelaySeconds=5)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_dedup_id_on_standard_queue_is_rejected(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(), MessageBody="x", MessageDeduplicationId="d")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_order_within_group_and_sequence_numbers(sqs, new_queue):
    url = new_queue(fifo=True)
    numbers = [int(send(sqs, url, f"m{i}")["SequenceNumber"]) for i in range(5)]
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    messages = receive(sqs, url, MaxNumberOfMessages=10, AttributeNames=["All"])
    assert [m["Body"] for m in messages] == [f"m{i}" for i in range(5)]
    assert messages[0]["Attributes"]["MessageGroupId"] == "g"
    assert messages[0]["Attributes"]["MessageDeduplicationId"] == "m0"
    assert int(messages[0]["Attributes"]["SequenceNumber"]) == numbers[0]


def test_group_is_locked_while_a_message_is_in_flight(sqs, new_queue, clock):
    url = new_queue(fifo=True, VisibilityTimeout=30)
    for body, group in (("a1", "a"), ("a2", "a"), ("b1", "b")):
        send(sqs, url, body, group=group)
    [first] = receive(sqs, url)
    assert first["Body"] == "a1"
    # a2 waits behind a1; group b is served meanwhile.
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["b1"]
    assert receive(sqs, url, MaxNumberOfMessages=10) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert [m["Body"] for m in receive(sqs, url)] == ["a2"]


def test_expired_visibility_returns_the_group_in_order(sqs, new_queue, clock):
    url = new_queue(fifo=True, VisibilityTimeout=10)
    for i in range(3):
        send(sqs, url, f"m{i}")
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=2)] == ["m0", "m1"]
    assert receive(sqs, url) == []
    clock.advance(10)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["m0", "m1", "m2"]


def test_deduplication_by_id_survives_deletion(sqs, new_queue, clock):
    url = new_queue(fifo=True)
    first = send(sqs, url, "x", dedup="d1")
    again = send(sqs, url, "other body", dedup="d1")
    assert again["MessageId"] == first["MessageId"]
    [message] = receive(sqs, url, MaxNumberOfMessages=10)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    send(sqs, url, "x", dedup="d1")
    assert counts(sqs, url) == (0, 0, 0)
    clock.advance(300)
    send(sqs, url, "x", dedup="d1")
    assert counts(sqs, url) == (1, 0, 0)


def test_content_based_deduplication(sqs, new_queue):
    url = new_queue(fifo=True, ContentBasedDeduplication="true")
    first = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    second = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="other")
    assert first["MessageId"] == second["MessageId"]
    sqs.send_message(QueueUrl=url, MessageBody="different", MessageGroupId="g")
    assert counts(sqs, url)[0] == 2


def test_deduplication_scope_message_group(sqs, new_queue):
    url = new_queue(fifo=True, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId")
    send(sqs, url, "x", group="a", dedup="d")
    send(sqs, url, "x", group="b", dedup="d")
    send(sqs, url, "x", group="a", dedup="d")
    assert counts(sqs, url)[0] == 2


def test_throughput_limit_alone_keeps_queue_wide_deduplication(sqs, new_queue):
    # AWS: other combinations than the high-throughput pair are accepted, "normal throughput is in
    # effect and deduplication occurs as specified".
    url = new_queue(fifo=True, DeduplicationScope="queue", FifoThroughputLimit="perMessageGroupId")
    send(sqs, url, "x", group="a", dedup="d")
    send(sqs, url, "x", group="b", dedup="d")
    assert counts(sqs, url)[0] == 1


def test_receive_request_attempt_id_returns_the_same_batch(sqs, new_queue):
    url = new_queue(fifo=True)
    for i in range(3):
        send(sqs, url, f"m{i}", group=f"g{i}")
    first = receive(sqs, url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    retry = receive(sqs, url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-1")
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]
    other = receive(sqs, url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="attempt-2")
    assert [m["Body"] for m in other] == ["m2"]


def test_expired_receipt_handle_cannot_delete(sqs, new_queue, clock):
    url = new_queue(fifo=True, VisibilityTimeout=10)
    send(sqs, url, "x")
    [message] = receive(sqs, url)
    clock.advance(10)
    with pytest.raises(ClientError) as excinfo:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # AWS's answer, recorded: InvalidParameterValue, naming the handle.
    assert error_code(excinfo) == "InvalidParameterValue"
    assert excinfo.value.response["Error"]["Message"] == (
        f"Value {message['ReceiptHandle']} for parameter ReceiptHandle is invalid. "
        "Reason: The receipt handle has expired."
    )
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert counts(sqs, url) == (1, 0, 0)


def test_queue_delay_applies_to_fifo(sqs, new_queue, clock):
    url = new_queue(fifo=True, DelaySeconds=5)
    send(sqs, url, "x")
    assert receive(sqs, url) == []
    clock.advance(5)
    assert [m["Body"] for m in receive(sqs, url)] == ["x"]


@pytest.mark.parametrize("group", ["", "x" * 129, "tab\there", "é"])
def test_invalid_group_ids(sqs, new_queue, group):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(
            QueueUrl=new_queue(fifo=True), MessageBody="x", MessageGroupId=group, MessageDeduplicationId="d"
        )
    assert error_code(excinfo) in ("InvalidParameterValue", "MissingParameter")


def test_head_made_visible_is_served_while_later_messages_are_in_flight(sqs, new_queue):
    """As AWS answers: the group serves its leading visible messages, up to the first one in flight."""
    url = new_queue(fifo=True)
    send(sqs, url, "m1")
    send(sqs, url, "m2")
    send(sqs, url, "m3")
    first, second = receive(sqs, url, MaxNumberOfMessages=2)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["m1"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=0)
    # m1 is in flight again: m2, visible behind it, waits.
    assert receive(sqs, url, MaxNumberOfMessages=10) == []
