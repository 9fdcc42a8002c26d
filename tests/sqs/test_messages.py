"""Messages: bodies, attributes, digests, visibility, delays, retention, receipt handles, batches."""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError

from tests.sqs.test_queues import error_code


def counts(sqs, url) -> tuple[int, int, int]:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        int(attributes["ApproximateNumberOfMessagesDelayed"]),
    )


def receive(sqs, url, **kwargs) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, **kwargs).get("Messages", [])


def test_send_receive_delete(sqs, new_queue):
    url = new_queue()
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo ✓")
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo ✓".encode()).hexdigest()
    [message] = receive(sqs, url)
    assert message["Body"] == "héllo ✓"
    assert message["MessageId"] == sent["MessageId"]
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)


def test_message_attributes_and_digest(sqs, new_queue):
    url = new_queue()
    attributes = {
        "City": {"DataType": "String", "StringValue": "Any City"},
        "Population": {"DataType": "Number", "StringValue": "1250800"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "Custom": {"DataType": "String.custom", "StringValue": "x"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="body", MessageAttributes=attributes)
    [message] = receive(sqs, url, MessageAttributeNames=["All"])
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    sqs.send_message(QueueUrl=url, MessageBody="body", MessageAttributes=attributes)
    [filtered] = receive(sqs, url, MessageAttributeNames=["City", "Pop.*"])
    # AWS takes `Pop.*` as the prefix `Pop`, as recorded (`Hel.*` returns `Hello` and `Help.Me`).
    assert set(filtered["MessageAttributes"]) == {"City", "Population"}


def test_documented_attribute_digest(sqs, new_queue):
    # botocore documents this digest for a single String attribute in its own checks.
    url = new_queue()
    sent = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageAttributes={"a": {"DataType": "String", "StringValue": "b"}}
    )
    expected = hashlib.md5(
        b"\x00\x00\x00\x01a" + b"\x00\x00\x00\x06String" + b"\x01" + b"\x00\x00\x00\x01b"
    ).hexdigest()
    assert sent["MD5OfMessageAttributes"] == expected


@pytest.mark.parametrize(
    "attributes",
    [
        {"AWS.reserved": {"DataType": "String", "StringValue": "x"}},
        {"amazon.x": {"DataType": "String", "StringValue": "x"}},
        {".start": {"DataType": "String", "StringValue": "x"}},
        {"a..b": {"DataType": "String", "StringValue": "x"}},
        {"sp ace": {"DataType": "String", "StringValue": "x"}},
        {"newline\n": {"DataType": "String", "StringValue": "x"}},
        {"d": {"DataType": "String\n", "StringValue": "x"}},
        {"n": {"DataType": "Number", "StringValue": "not-a-number"}},
        {"n": {"DataType": "Number", "StringValue": "1" * 39}},
        {"t": {"DataType": "Text", "StringValue": "x"}},
        {"e": {"DataType": "String", "StringValue": ""}},
        {"b": {"DataType": "Binary", "StringValue": "x"}},
        {f"a{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)},
    ],
)
def test_invalid_message_attributes(sqs, new_queue, attributes):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(), MessageBody="x", MessageAttributes=attributes)
    assert error_code(excinfo) == "InvalidParameterValue"


@pytest.mark.parametrize("body", ["\x00", "bad \x08 char", "\ufffe"])
def test_invalid_body_characters(sqs, new_queue, body):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(), MessageBody=body)
    assert error_code(excinfo) == "InvalidMessageContents"


def test_empty_body_is_missing(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(), MessageBody="")
    assert error_code(excinfo) == "MissingParameter"


def test_size_limit_counts_attributes(sqs, new_queue):
    url = new_queue(MaximumMessageSize=1024)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)
    assert error_code(excinfo) == "InvalidParameterValue"
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x" * 1000,
            MessageAttributes={"name": {"DataType": "String", "StringValue": "y" * 20}},
        )
    assert error_code(excinfo) == "InvalidParameterValue"


def test_system_attributes(sqs, new_queue, clock):
    url = new_queue()
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}},
    )
    clock.advance(2)
    [message] = receive(sqs, url, AttributeNames=["All"], VisibilityTimeout=0)
    attributes = message["Attributes"]
    assert attributes["AWSTraceHeader"] == "Root=1-abc"
    assert attributes["ApproximateReceiveCount"] == "1"
    assert int(attributes["ApproximateFirstReceiveTimestamp"]) - int(attributes["SentTimestamp"]) == 2000
    assert attributes["SenderId"] == "000000000000"
    [again] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert again["Attributes"] == {"ApproximateReceiveCount": "2"}


def test_visibility_timeout_hides_then_returns(sqs, new_queue, clock):
    url = new_queue(VisibilityTimeout=30)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [first] = receive(sqs, url)
    assert receive(sqs, url) == []
    clock.advance(29)
    assert receive(sqs, url) == []
    clock.advance(1)
    [second] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"


def test_receive_visibility_timeout_overrides_queue(sqs, new_queue, clock):
    url = new_queue(VisibilityTimeout=300)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    receive(sqs, url, VisibilityTimeout=5)
    clock.advance(5)
    assert len(receive(sqs, url)) == 1


def test_change_message_visibility(sqs, new_queue, clock):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=100)
    clock.advance(99)
    assert receive(sqs, url) == []
    clock.advance(1)
    [again] = receive(sqs, url)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=0)
    assert len(receive(sqs, url)) == 1


def test_change_visibility_has_a_twelve_hour_ceiling(sqs, new_queue, clock):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url, VisibilityTimeout=1000)
    clock.advance(100)
    with pytest.raises(ClientError) as excinfo:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=43200)
    assert error_code(excinfo) == "InvalidParameterValue"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=43100)


@pytest.mark.parametrize("fifo", [False, True])
def test_change_visibility_after_it_expired(sqs, new_queue, clock, fifo):
    """AWS answers success to the latest receipt handle of a message whose visibility expired, and
    changes nothing: the message stays visible."""
    url = new_queue(fifo=fifo, ContentBasedDeduplication="true") if fifo else new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="x", **({"MessageGroupId": "g"} if fifo else {}))
    [message] = receive(sqs, url, VisibilityTimeout=1)
    clock.advance(1)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=10)
    assert [m["Body"] for m in receive(sqs, url)] == ["x"]


@pytest.mark.parametrize("handle", ["garbage", "", "YWJj"])
def test_invalid_receipt_handles(sqs, new_queue, handle):
    url = new_queue()
    with pytest.raises(ClientError) as excinfo:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_code(excinfo) in ("ReceiptHandleIsInvalid", "MissingParameter")


def test_receipt_handle_of_another_queue_is_invalid(sqs, new_queue):
    first, second = new_queue(), new_queue()
    sqs.send_message(QueueUrl=first, MessageBody="x")
    [message] = receive(sqs, first)
    with pytest.raises(ClientError) as excinfo:
        sqs.delete_message(QueueUrl=second, ReceiptHandle=message["ReceiptHandle"])
    assert error_code(excinfo) == "ReceiptHandleIsInvalid"


def test_stale_receipt_handle_does_not_delete(sqs, new_queue, clock):
    # AWS: deleting with an older handle succeeds but the message is not deleted.
    url = new_queue(VisibilityTimeout=10)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [old] = receive(sqs, url)
    clock.advance(10)
    [new] = receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old["ReceiptHandle"])
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new["ReceiptHandle"])  # deleting twice is fine


def test_queue_delay(sqs, new_queue, clock):
    url = new_queue(DelaySeconds=10)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert counts(sqs, url) == (0, 0, 1)
    assert receive(sqs, url) == []
    clock.advance(10)
    assert counts(sqs, url) == (1, 0, 0)
    assert len(receive(sqs, url)) == 1


def test_message_delay_overrides_queue_delay(sqs, new_queue, clock):
    url = new_queue(DelaySeconds=100)
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=5)
    assert [m["Body"] for m in receive(sqs, url)] == ["now"]
    clock.advance(5)
    assert [m["Body"] for m in receive(sqs, url)] == ["later"]
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_retention_expires_messages(sqs, new_queue, clock):
    url = new_queue(MessageRetentionPeriod=60)
    sqs.send_message(QueueUrl=url, MessageBody="old")
    clock.advance(30)
    sqs.send_message(QueueUrl=url, MessageBody="young")
    clock.advance(30)
    assert counts(sqs, url) == (1, 0, 0)
    assert [m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10)] == ["young"]


def test_receive_up_to_ten(sqs, new_queue):
    url = new_queue()
    for i in range(15):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    assert len(receive(sqs, url, MaxNumberOfMessages=10)) == 10
    assert len(receive(sqs, url, MaxNumberOfMessages=10)) == 5
    for bad in (0, 11):
        with pytest.raises(ClientError) as excinfo:
            receive(sqs, url, MaxNumberOfMessages=bad)
        assert error_code(excinfo) == "InvalidParameterValue"


def test_send_batch(sqs, new_queue):
    url = new_queue()
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok1", "MessageBody": "one"},
            {"Id": "bad", "MessageBody": "\x00"},
            {"Id": "ok2", "MessageBody": "two", "DelaySeconds": 0},
        ],
    )
    assert sorted(entry["Id"] for entry in result["Successful"]) == ["ok1", "ok2"]
    [failure] = result["Failed"]
    assert failure["Id"] == "bad" and failure["SenderFault"] is True
    assert failure["Code"] == "InvalidMessageContents"
    bodies = sorted(m["Body"] for m in receive(sqs, url, MaxNumberOfMessages=10))
    assert bodies == ["one", "two"]


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": str(i), "MessageBody": "x"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        ([{"Id": "bad id!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        ([{"Id": "newline\n", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        (
            [{"Id": str(i), "MessageBody": "x" * 200_000} for i in range(6)],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
    ],
)
def test_send_batch_errors(sqs, new_queue, entries, code):
    url = new_queue()
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error_code(excinfo) == code
    assert counts(sqs, url) == (0, 0, 0)


def test_delete_and_visibility_batches(sqs, new_queue, clock):
    url = new_queue()
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    messages = receive(sqs, url, MaxNumberOfMessages=10)
    assert len(messages) == 3
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": "nonsense", "VisibilityTimeout": 0},
        ],
    )
    assert [entry["Id"] for entry in changed["Successful"]] == ["a"]
    assert changed["Failed"][0]["Id"] == "b" and changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[1:])]
        + [{"Id": "bad", "ReceiptHandle": "nonsense"}],
    )
    assert sorted(entry["Id"] for entry in deleted["Successful"]) == ["d0", "d1"]
    assert deleted["Failed"][0]["Id"] == "bad"
    assert counts(sqs, url) == (1, 0, 0)
