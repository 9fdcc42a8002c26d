"""Errors as AWS answers them: code, message and HTTP status, over both wires (answers recorded against AWS)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.sqs.test_dead_letters import arn, redrive
from tests.sqs.test_messages import receive


def error_of(excinfo) -> tuple[str, str, int]:
    response = excinfo.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def group_or_dedup_id_error(name: str, value: str) -> tuple[str, str, int]:
    reason = f"{name} can only include alphanumeric and punctuation characters. 1 to 128 in length."
    return "InvalidParameterValue", f"Value {value} for parameter {name} is invalid. Reason: {reason}", 400


@pytest.mark.parametrize("value", ["", "a" * 129, "group 123"], ids=["empty", "too_long", "spaces"])
def test_invalid_message_group_id_on_a_standard_queue(sqs, new_queue, value):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(), MessageBody="x", MessageGroupId=value)
    assert error_of(excinfo) == group_or_dedup_id_error("MessageGroupId", value)


@pytest.mark.parametrize("value", ["", "a" * 129, "group 123"], ids=["empty", "too_long", "spaces"])
def test_invalid_message_deduplication_id(sqs, new_queue, value):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(fifo=True), MessageBody="Hello World!", MessageGroupId="test",
                         MessageDeduplicationId=value)  # fmt: skip
    assert error_of(excinfo) == group_or_dedup_id_error("MessageDeduplicationId", value)
    sqs.send_message(QueueUrl=new_queue(fifo=True), MessageBody="x", MessageGroupId="test",
                     MessageDeduplicationId="a" * 128)  # fmt: skip


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"FifoQueue": "false"}, "Unknown Attribute FifoQueue."),
        ({"ContentBasedDeduplication": "false"}, "Unknown Attribute ContentBasedDeduplication."),
        ({"DeduplicationScope": "queue"}, "You can specify the DeduplicationScope only when FifoQueue is set to true."),
        ({"FifoThroughputLimit": "perQueue"},
         "You can specify the FifoThroughputLimit only when FifoQueue is set to true."),
    ],
)  # fmt: skip
def test_fifo_attributes_refused_when_creating_a_standard_queue(sqs, attributes, message):
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=f"never-{uuid.uuid4().hex[:12]}", Attributes=attributes)
    assert error_of(excinfo) == ("InvalidAttributeName", message, 400)


def test_fifo_queue_attribute_on_set_queue_attributes(sqs, new_queue):
    standard = new_queue()
    for value in ("true", "false"):
        with pytest.raises(ClientError) as excinfo:
            sqs.set_queue_attributes(QueueUrl=standard, Attributes={"FifoQueue": value})
        assert error_of(excinfo) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.", 400)
    fifo = new_queue(fifo=True)
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})  # a no-op
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "false"})
    message = "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    assert error_of(excinfo) == ("InvalidAttributeValue", message, 400)


def test_sse_kms_and_sse_sqs_together_are_refused(sqs, new_queue):
    url = new_queue()
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"KmsMasterKeyId": "testKeyId", "SqsManagedSseEnabled": "true"}
        )
    message = (
        "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE."
    )
    assert error_of(excinfo) == ("InvalidAttributeName", message, 400)


@pytest.mark.parametrize(("value", "name"), [(21, "too_large"), (-1, "too_small")])
def test_wait_time_seconds_out_of_range(sqs, new_queue, value, name):
    with pytest.raises(ClientError) as excinfo:
        sqs.receive_message(QueueUrl=new_queue(), WaitTimeSeconds=value)
    message = f"Value {value} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
    assert error_of(excinfo) == ("InvalidParameterValue", message, 400)


def test_max_number_of_messages_out_of_range(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.receive_message(QueueUrl=new_queue(), MaxNumberOfMessages=11)
    message = "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
    assert error_of(excinfo) == ("InvalidParameterValue", message, 400)


def test_oversized_message_and_batch_after_lowering_the_maximum(sqs, new_queue):
    url = new_queue(MaximumMessageSize=1024)
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="a" * 1025)
    message = "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes."
    assert error_of(excinfo) == ("InvalidParameterValue", message, 400)
    answer = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "fits", "MessageBody": "a" * 1024}, {"Id": "over", "MessageBody": "a" * 1025}]
    )
    assert [entry["Id"] for entry in answer["Successful"]] == ["fits"]
    assert answer["Failed"] == [{
        "Id": "over", "SenderFault": True, "Code": "InvalidParameterValue",
        "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.",
    }]  # fmt: skip


def test_empty_message_body(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(), MessageBody="")
    assert error_of(excinfo) == ("MissingParameter", "The request must contain the parameter MessageBody.", 400)


def test_empty_string_attribute_value(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=new_queue(), MessageBody="x",
                         MessageAttributes={"ErrorDetails": {"StringValue": "", "DataType": "String"}})  # fmt: skip
    message = "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
    assert error_of(excinfo) == ("InvalidParameterValue", message, 400)


def test_attribute_names_with_unicode_letters_are_valid_and_punctuation_is_not(sqs, new_queue):
    url = new_queue()
    sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageAttributes={"attr.1øßä": {"StringValue": "v", "DataType": "String"}}
    )
    for name in ("Invalid-!-attr", "Invalid-§-attr", "Invalid-(-attr", "aWs.-x", ".x", "x.", "L" * 257):
        with pytest.raises(ClientError) as excinfo:
            sqs.send_message(
                QueueUrl=url, MessageBody="x", MessageAttributes={name: {"StringValue": "v", "DataType": "String"}}
            )
        assert error_of(excinfo)[0] == "InvalidParameterValue"
    (message,) = receive(sqs, url, MessageAttributeNames=["All"])
    assert list(message["MessageAttributes"]) == ["attr.1øßä"]


def test_move_task_errors(sqs, new_queue):
    source, plain, destination = new_queue(), new_queue(), new_queue()
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=arn(sqs, plain), DestinationArn=arn(sqs, destination))
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Source queue must be configured as a Dead Letter Queue.",
        400,
    )
    dlq = new_queue()
    redrive(sqs, source, dlq)
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=arn(sqs, dlq), DestinationArn=arn(sqs, destination) + "doesntexist")
    message = "The resource that you specified for the DestinationArn parameter doesn't exist."
    assert error_of(excinfo) == ("ResourceNotFoundException", message, 404)
    sqs.send_message(QueueUrl=dlq, MessageBody="to move")
    sqs.send_message(QueueUrl=dlq, MessageBody="to move too")
    sqs.start_message_move_task(SourceArn=arn(sqs, dlq), DestinationArn=arn(sqs, destination),
                                MaxNumberOfMessagesPerSecond=1)  # fmt: skip
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=arn(sqs, dlq), DestinationArn=arn(sqs, destination),
                                    MaxNumberOfMessagesPerSecond=1)  # fmt: skip
    message = "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    assert error_of(excinfo) == ("InvalidParameterValue", message, 400)


def handle(task_id: str, source_arn: str) -> str:
    return base64.b64encode(json.dumps({"taskId": task_id, "sourceArn": source_arn}).encode()).decode()


def test_cancel_move_task_errors(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.cancel_message_move_task(TaskHandle="foobared")
    assert error_of(excinfo) == ("InvalidParameterValue", "Value for parameter TaskHandle is invalid.", 400)
    missing = "arn:aws:sqs:us-east-1:000000000000:test-queue-doesnt-exist-123456"
    with pytest.raises(ClientError) as excinfo:
        sqs.cancel_message_move_task(TaskHandle=handle(str(uuid.uuid4()), missing))
    message = "The resource that you specified for the SourceArn parameter doesn't exist."
    assert error_of(excinfo) == ("ResourceNotFoundException", message, 404)
    with pytest.raises(ClientError) as excinfo:
        sqs.cancel_message_move_task(TaskHandle=handle(str(uuid.uuid4()), arn(sqs, new_queue())))
    assert error_of(excinfo) == ("ResourceNotFoundException", "Task does not exist.", 404)


def test_move_task_fails_when_its_destination_is_deleted(sqs, new_queue, clock):
    source, dlq, destination = new_queue(), new_queue(), new_queue()
    redrive(sqs, source, dlq)
    for i in range(3):
        sqs.send_message(QueueUrl=dlq, MessageBody=f"message-{i}")
    sqs.start_message_move_task(SourceArn=arn(sqs, dlq), DestinationArn=arn(sqs, destination),
                                MaxNumberOfMessagesPerSecond=1)  # fmt: skip
    dlq_arn = arn(sqs, dlq)
    sqs.delete_queue(QueueUrl=destination)
    clock.advance(2)
    [task] = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert (task["Status"], task["FailureReason"]) == ("FAILED", "AWS.SimpleQueueService.NonExistentQueue")
    assert receive(sqs, dlq)
