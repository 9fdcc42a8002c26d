"""What AWS puts in its answers (recorded against AWS): default queue attributes, encryption attributes,
AWSTraceHeader from the X-Amzn-Trace-Id header, attribute-name filters, dead-letter moves and queue policies."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.sqs.conftest import make_json_client
from tests.sqs.test_dead_letters import arn, redrive
from tests.sqs.test_messages import receive
from tests.sqs.test_queues import error_code

ACCOUNT = "000000000000"
STANDARD_DEFAULTS = {
    "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesDelayed", "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp", "DelaySeconds", "LastModifiedTimestamp", "MaximumMessageSize", "MessageRetentionPeriod",
    "QueueArn", "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "VisibilityTimeout",
}  # fmt: skip
FIFO_DEFAULTS = STANDARD_DEFAULTS | {
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoQueue",
    "FifoThroughputLimit",
}


def all_attributes(sqs, url) -> dict[str, str]:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def test_default_attributes_of_new_queues(sqs, new_queue):
    standard = all_attributes(sqs, new_queue())
    assert set(standard) == STANDARD_DEFAULTS
    assert standard["SqsManagedSseEnabled"] == "true"
    fifo = all_attributes(sqs, new_queue(fifo=True))
    assert set(fifo) == FIFO_DEFAULTS
    assert (fifo["DeduplicationScope"], fifo["FifoThroughputLimit"]) == ("queue", "perQueue")


def test_attributes_come_in_the_order_aws_lists_them(sqs, new_queue):
    url = new_queue(fifo=True, ContentBasedDeduplication="true")
    redrive(sqs, url, new_queue(fifo=True))
    assert list(all_attributes(sqs, url)) == [
        "QueueArn", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp", "VisibilityTimeout",
        "MaximumMessageSize", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds",
        "RedrivePolicy", "SqsManagedSseEnabled", "FifoQueue", "DeduplicationScope", "FifoThroughputLimit",
        "ContentBasedDeduplication",
    ]  # fmt: skip
    # Asked for by name, in any order, they come in the same order.
    asked = ["FifoQueue", "VisibilityTimeout", "QueueArn"]
    assert list(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=asked)["Attributes"]) == [
        "QueueArn",
        "VisibilityTimeout",
        "FifoQueue",
    ]


def test_kms_attributes_come_and_go_with_the_kms_key(sqs, new_queue):
    url = new_queue()
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"}
    )
    attributes = all_attributes(sqs, url)
    assert set(attributes) == STANDARD_DEFAULTS | {"KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds"}
    assert (attributes["KmsDataKeyReusePeriodSeconds"], attributes["SqsManagedSseEnabled"]) == ("6000", "false")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "", "KmsDataKeyReusePeriodSeconds": "300"})
    attributes = all_attributes(sqs, url)
    assert set(attributes) == STANDARD_DEFAULTS and attributes["SqsManagedSseEnabled"] == "false"
    names = ["KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled"]
    sse_sqs = new_queue(SqsManagedSseEnabled="true")
    assert sqs.get_queue_attributes(QueueUrl=sse_sqs, AttributeNames=names)["Attributes"] == {
        "SqsManagedSseEnabled": "true"
    }


def test_trace_header_of_the_request_becomes_aws_trace_header(aws_endpoint_url, new_queue, sqs):
    url = new_queue()
    trace = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
    client = make_json_client(aws_endpoint_url)

    def add_trace_header(request, **_kwargs):
        request.headers["X-Amzn-Trace-Id"] = trace

    client.meta.events.register("before-send.sqs.SendMessage", add_trace_header)
    attributes = {"timestamp": {"StringValue": "1493147359900", "DataType": "Number"}}
    client.send_message(QueueUrl=url, MessageBody="test", MessageAttributes=attributes)
    (message,) = receive(sqs, url, AttributeNames=["SentTimestamp", "AWSTraceHeader"], MessageAttributeNames=["All"])
    assert message["Attributes"]["AWSTraceHeader"] == trace
    assert set(message["Attributes"]) == {"SentTimestamp", "AWSTraceHeader"}
    # Without the header, a message has no AWSTraceHeader.
    sqs.send_message(QueueUrl=url, MessageBody="plain")
    (message,) = receive(sqs, url, AttributeNames=["All"])
    assert "AWSTraceHeader" not in message["Attributes"]


@pytest.mark.parametrize(
    ("names", "expected", "md5"),
    [
        ([], set(), None),
        (["All"], {"General", "Hello", "Help.Me"}, "4c360f3fdafd970e05fae2f149d997f5"),
        (["*"], {"General", "Hello", "Help.Me"}, "4c360f3fdafd970e05fae2f149d997f5"),
        ([".*"], {"General", "Hello", "Help.Me"}, "4c360f3fdafd970e05fae2f149d997f5"),
        (["Foo", "Help"], set(), None),
        (["Hello", "General"], {"General", "Hello"}, "fca026605781cb4126a1e9044df24232"),
        (["Foo", "Hello"], {"Hello"}, "a311262e065454b75da111d535b8dacd"),
        (["Hel.*"], {"Hello", "Help.Me"}, "83fee93c1bcd8b9a5a923ffacdc636c7"),
        (["AWS."], set(), None),
        (["..foo"], set(), None),
    ],
)
def test_message_attribute_name_filters(sqs, new_queue, names, expected, md5):
    url = new_queue(VisibilityTimeout=0)
    sent = sqs.send_message(QueueUrl=url, MessageBody="msg", MessageAttributes={
        "Help.Me": {"DataType": "String", "StringValue": "Me"},
        "Hello": {"DataType": "String", "StringValue": "There"},
        "General": {"DataType": "String", "StringValue": "Kenobi"},
    })  # fmt: skip
    assert sent["MD5OfMessageAttributes"] == "4c360f3fdafd970e05fae2f149d997f5"
    (message,) = receive(sqs, url, MessageAttributeNames=names)
    assert set(message.get("MessageAttributes", {})) == expected
    assert message.get("MD5OfMessageAttributes") == md5


def test_dead_letter_move_keeps_attributes_and_counts_on(sqs, new_queue):
    dlq, source = new_queue(), new_queue()
    redrive(sqs, source, dlq, count=1)
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    sent = sqs.send_message(
        QueueUrl=source, MessageBody="message-1",
        MessageAttributes={"MyAttribute": {"StringValue": "foobar", "DataType": "String"}},
        MessageSystemAttributes={"AWSTraceHeader": {"StringValue": trace, "DataType": "String"}},
    )  # fmt: skip
    for _ in range(2):
        receive(sqs, source, VisibilityTimeout=0, AttributeNames=["All"], MessageAttributeNames=["All"])
    (moved,) = receive(sqs, dlq, AttributeNames=["All"], MessageAttributeNames=["All"])
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Attributes"]["ApproximateReceiveCount"] == "2"
    assert moved["Attributes"]["AWSTraceHeader"] == trace
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == arn(sqs, source)
    assert moved["MD5OfMessageAttributes"] == "adb59cd4678ea5a855436b949cd07ab6"
    assert moved["MessageAttributes"] == {"MyAttribute": {"StringValue": "foobar", "DataType": "String"}}


def test_permission_lifecycle_policy(sqs, new_queue):
    url = new_queue()
    queue_arn = arn(sqs, url)

    def policy() -> dict | None:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {})
        return json.loads(attributes["Policy"]) if "Policy" in attributes else None

    def statement(label: str, principals) -> dict:
        return {"Sid": label, "Effect": "Allow", "Principal": {"AWS": principals}, "Action": "SQS:ReceiveMessage",
                "Resource": queue_arn}  # fmt: skip

    def document(*statements) -> dict:
        return {"Version": "2008-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": list(statements)}

    sqs.add_permission(QueueUrl=url, AWSAccountIds=[ACCOUNT, "668614515564"], Actions=["ReceiveMessage"],
                       Label="crossaccountpermission")  # fmt: skip
    root, other = f"arn:aws:iam::{ACCOUNT}:root", "arn:aws:iam::668614515564:root"
    assert policy() == document(statement("crossaccountpermission", [root, other]))
    sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission")
    assert policy() is None
    sqs.add_permission(
        QueueUrl=url, AWSAccountIds=[ACCOUNT], Actions=["ReceiveMessage"], Label="crossaccountpermission"
    )
    assert policy() == document(statement("crossaccountpermission", root))
    with pytest.raises(ClientError) as excinfo:
        sqs.add_permission(QueueUrl=url, AWSAccountIds=["668614515564"], Actions=["ReceiveMessage"],
                           Label="crossaccountpermission")  # fmt: skip
    assert error_code(excinfo) == "InvalidParameterValue"
    message = "Value crossaccountpermission for parameter Label is invalid. Reason: Already exists."
    assert excinfo.value.response["Error"]["Message"] == message
    sqs.add_permission(
        QueueUrl=url, AWSAccountIds=[ACCOUNT], Actions=["ReceiveMessage"], Label="crossaccountpermission2"
    )
    assert policy() == document(statement("crossaccountpermission", root), statement("crossaccountpermission2", root))
    sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission")
    assert policy() == document(statement("crossaccountpermission2", root))
    sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission2")
    assert policy() is None
    with pytest.raises(ClientError) as excinfo:
        sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission2")
    message = "Value crossaccountpermission2 for parameter Label is invalid. Reason: can't find label."
    assert (error_code(excinfo), excinfo.value.response["Error"]["Message"]) == ("InvalidParameterValue", message)


def test_every_attribute_has_its_place_in_the_response_order():
    from cloudtwin.sqs import attributes

    assert sorted(attributes.RESPONSE_ORDER) == sorted(set(attributes.SPECS) | set(attributes.READ_ONLY))
