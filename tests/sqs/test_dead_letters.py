"""Dead-letter queues: redrive after maxReceiveCount, policies, source listing, move tasks."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.sqs.test_messages import counts, receive
from tests.sqs.test_queues import error_code


def arn(sqs, url) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def redrive(sqs, url, dlq_url, count=2) -> None:
    policy = json.dumps({"deadLetterTargetArn": arn(sqs, dlq_url), "maxReceiveCount": count})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})


def test_message_moves_after_max_receive_count(sqs, new_queue, clock):
    dlq, source = new_queue(), new_queue(VisibilityTimeout=10)
    redrive(sqs, source, dlq, count=2)
    sent = sqs.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(2):
        assert len(receive(sqs, source)) == 1
        clock.advance(10)
    assert receive(sqs, source) == []
    [moved] = receive(sqs, dlq, AttributeNames=["All"])
    assert moved["MessageId"] == sent["MessageId"] and moved["Body"] == "poison"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == arn(sqs, source)
    # AWS keeps counting: two receives from the source, one from the dead-letter queue (recorded against AWS).
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"
    assert counts(sqs, source) == (0, 0, 0)


def test_fifo_dead_letter_queue(sqs, new_queue, clock):
    dlq, source = new_queue(fifo=True), new_queue(fifo=True, VisibilityTimeout=5)
    redrive(sqs, source, dlq, count=1)
    sqs.send_message(QueueUrl=source, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="a")
    sqs.send_message(QueueUrl=source, MessageBody="b", MessageGroupId="g", MessageDeduplicationId="b")
    assert [m["Body"] for m in receive(sqs, source)] == ["a"]
    clock.advance(5)
    # "a" goes to the dead-letter queue, and "b" is next in its group.
    assert [m["Body"] for m in receive(sqs, source)] == ["b"]
    [moved] = receive(sqs, dlq, AttributeNames=["MessageGroupId"])
    assert moved["Body"] == "a" and moved["Attributes"]["MessageGroupId"] == "g"


def test_dead_letter_queue_must_exist_and_match_type(sqs, new_queue):
    source = new_queue()
    missing = json.dumps({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope", "maxReceiveCount": 1})
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": missing})
    assert error_code(excinfo) == "InvalidParameterValue"
    fifo_dlq = new_queue(fifo=True)
    with pytest.raises(ClientError) as excinfo:
        redrive(sqs, source, fifo_dlq)
    assert error_code(excinfo) == "InvalidParameterValue"


@pytest.mark.parametrize("count", [0, 1001, "x"])
def test_max_receive_count_range(sqs, new_queue, count):
    dlq, source = new_queue(), new_queue()
    policy = json.dumps({"deadLetterTargetArn": arn(sqs, dlq), "maxReceiveCount": count})
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": policy})
    assert error_code(excinfo) == "InvalidParameterValue"


def test_redrive_allow_policy(sqs, new_queue):
    allowed, refused = new_queue(), new_queue()
    dlq = new_queue()
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn(sqs, allowed)]})
    sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": allow})
    redrive(sqs, allowed, dlq)
    with pytest.raises(ClientError) as excinfo:
        redrive(sqs, refused, dlq)
    assert error_code(excinfo) == "InvalidParameterValue"
    deny = new_queue(RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    with pytest.raises(ClientError):
        redrive(sqs, refused, deny)
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=dlq, Attributes={"RedriveAllowPolicy": '{"redrivePermission": "some"}'})
    assert error_code(excinfo) == "InvalidParameterValue"


def test_list_dead_letter_source_queues(sqs, new_queue):
    dlq, first, second, unrelated = new_queue(), new_queue(), new_queue(), new_queue()
    redrive(sqs, first, dlq)
    redrive(sqs, second, dlq)
    assert sorted(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sorted([first, second])
    assert sqs.list_dead_letter_source_queues(QueueUrl=unrelated)["queueUrls"] == []
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=1)
    assert len(page["queueUrls"]) == 1 and page["NextToken"]


def test_move_task_returns_messages_to_their_source(sqs, new_queue, clock):
    dlq, source = new_queue(), new_queue(VisibilityTimeout=1)
    redrive(sqs, source, dlq, count=1)
    sqs.send_message_batch(QueueUrl=source, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)])
    receive(sqs, source, MaxNumberOfMessages=10)
    clock.advance(1)
    assert receive(sqs, source, MaxNumberOfMessages=10) == []
    assert counts(sqs, dlq)[0] == 3
    handle = sqs.start_message_move_task(SourceArn=arn(sqs, dlq))["TaskHandle"]
    assert handle
    [task] = sqs.list_message_move_tasks(SourceArn=arn(sqs, dlq))["Results"]
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 3
    assert counts(sqs, dlq)[0] == 0
    assert sorted(m["Body"] for m in receive(sqs, source, MaxNumberOfMessages=10)) == ["0", "1", "2"]


def test_rate_limited_move_task_progresses_with_the_clock(sqs, new_queue, clock):
    dlq, source, destination = new_queue(), new_queue(), new_queue()
    redrive(sqs, source, dlq)
    sqs.send_message_batch(QueueUrl=dlq, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(5)])
    dlq_arn = arn(sqs, dlq)
    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn(sqs, destination), MaxNumberOfMessagesPerSecond=1
    )["TaskHandle"]
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert error_code(excinfo) == "InvalidParameterValue"  # AWS's answer, recorded
    clock.advance(2)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["Status"] == "RUNNING" and task["ApproximateNumberOfMessagesMoved"] == 3
    assert task["TaskHandle"] == handle and task["MaxNumberOfMessagesPerSecond"] == 1
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    assert moved == 3
    assert counts(sqs, destination)[0] == 3 and counts(sqs, dlq)[0] == 2
    assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]["Status"] == "CANCELLED"
    with pytest.raises(ClientError) as excinfo:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_move_task_needs_a_dead_letter_queue(sqs, new_queue):
    plain = new_queue()
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=arn(sqs, plain))
    assert error_code(excinfo) == "InvalidParameterValue"


def test_retention_of_a_moved_message_counts_from_its_first_enqueue(sqs, new_queue, clock):
    dlq = new_queue(MessageRetentionPeriod=60)
    source = new_queue(VisibilityTimeout=1)
    redrive(sqs, source, dlq, count=1)
    sqs.send_message(QueueUrl=source, MessageBody="old")
    clock.advance(50)
    sqs.send_message(QueueUrl=dlq, MessageBody="young")
    assert [m["Body"] for m in receive(sqs, source)] == ["old"]
    clock.advance(1)
    assert receive(sqs, source) == []  # "old" moves to the dead-letter queue, behind "young"
    assert counts(sqs, dlq)[0] == 2
    clock.advance(10)
    # AWS: expiry always counts from the original enqueue time, so "old" (61 s) is gone.
    assert counts(sqs, dlq)[0] == 1
    assert [m["Body"] for m in receive(sqs, dlq, MaxNumberOfMessages=10)] == ["young"]
