"""Query responses checked element by element against the examples in AWS's SQS API Reference.

Each test sends the documented example request and compares the XML with the documented
response: the same elements in the same namespace, and the same values wherever the value
follows from the request (digests, attribute values, timestamps under a frozen clock).
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from xml.etree import ElementTree

import pytest

from cloudtwin.contract_tests.sqs.query_client import NAMESPACE, raw_request

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# The account and region of the documented queue https://sqs.us-east-2.amazonaws.com/123456789012/MyQueue;
# a 12-digit access key is taken as the account.
ACCOUNT, REGION = "123456789012", "us-east-2"


def query(endpoint: str, form: dict[str, str], path: str = "/") -> tuple[int, ElementTree.Element]:
    status, headers, body = raw_request(
        endpoint, {**form, "Version": "2012-11-05"}, path, region=REGION, access_key=ACCOUNT
    )
    assert headers["content-type"] == "text/xml"
    assert body.startswith(b'<?xml version="1.0"?>')
    root = ElementTree.fromstring(body)
    if status == 200:
        metadata = root.find(f"{NAMESPACE}ResponseMetadata")
        assert metadata is not None and metadata.findtext(f"{NAMESPACE}RequestId") == headers["x-amzn-requestid"]
    return status, root


def children(element: ElementTree.Element) -> list[tuple[str, str | None]]:
    """(name, text) of each child, namespace checked and stripped; text is None for elements with children."""
    found = []
    for child in element:
        assert child.tag.startswith(NAMESPACE), child.tag
        found.append((child.tag[len(NAMESPACE) :], None if len(child) else (child.text or "")))
    return found


def attributes(element: ElementTree.Element) -> dict[str, str]:
    """A flattened `<Attribute><Name/><Value/></Attribute>` map, each entry exactly Name then Value."""
    found = {}
    for entry in element.findall(f"{NAMESPACE}Attribute"):
        (name_tag, name), (value_tag, value) = children(entry)
        assert (name_tag, value_tag) == ("Name", "Value")
        found[name] = value
    return found


def attributes_digest(strings: dict[str, str]) -> str:
    """SQS's MD5 of String attributes: sorted by name; length-prefixed name, type, 1, length-prefixed value."""
    digest = hashlib.md5()
    for name in sorted(strings):
        for part in (name.encode(), b"String"):
            digest.update(struct.pack(">I", len(part)) + part)
        value = strings[name].encode()
        digest.update(b"\x01" + struct.pack(">I", len(value)) + value)
    return digest.hexdigest()


@pytest.fixture
def my_queue(aws_endpoint_url, cloudtwin_clock):
    """The documented MyQueue, created at the documented CreatedTimestamp; deleted afterwards."""
    cloudtwin_clock.freeze(1286771522)
    form = {"Action": "CreateQueue", "QueueName": "MyQueue"}
    for n, (name, value) in enumerate(
        [("ReceiveMessageWaitTimeSeconds", "2"), ("MaximumMessageSize", "8192"), ("MessageRetentionPeriod", "345600")],
        1,
    ):
        form[f"Attribute.{n}.Name"], form[f"Attribute.{n}.Value"] = name, value
    status, root = query(aws_endpoint_url, form)
    assert status == 200
    url = root.findtext(f"{NAMESPACE}CreateQueueResult/{NAMESPACE}QueueUrl")
    assert url.endswith(f"/{REGION}/{ACCOUNT}/MyQueue")
    yield f"/{ACCOUNT}/MyQueue/"  # the path AWS's examples post to
    query(aws_endpoint_url, {"Action": "DeleteQueue", "QueueUrl": url})


def test_send_message(aws_endpoint_url, my_queue):
    status, root = query(
        aws_endpoint_url,
        {
            "Action": "SendMessage",
            "MessageBody": "This is a test message",
            "MessageAttribute.1.Name": "my_attribute_name_1",
            "MessageAttribute.1.Value.StringValue": "my_attribute_value_1",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.2.Name": "my_attribute_name_2",
            "MessageAttribute.2.Value.StringValue": "my_attribute_value_2",
            "MessageAttribute.2.Value.DataType": "String",
        },
        my_queue,
    )
    assert status == 200
    assert root.tag == f"{NAMESPACE}SendMessageResponse"
    assert [name for name, _ in children(root)] == ["SendMessageResult", "ResponseMetadata"]
    result = dict(children(root[0]))
    assert set(result) == {"MD5OfMessageBody", "MD5OfMessageAttributes", "MessageId"}
    assert result["MD5OfMessageBody"] == "fafb00f5732ab283681e124bf8747ed1"
    # The documented example shows 3ae8f24a165a8cedc005670c81a27295, which is not the digest of its
    # own attributes by SQS's documented algorithm (nor by AWS SDK for Java v1's checksum handler);
    # this is that digest, computed independently of the emulator.
    assert result["MD5OfMessageAttributes"] == attributes_digest(
        {"my_attribute_name_1": "my_attribute_value_1", "my_attribute_name_2": "my_attribute_value_2"}
    )
    assert UUID.match(result["MessageId"])
    assert UUID.match(root[1].findtext(f"{NAMESPACE}RequestId"))


def test_receive_message_with_attributes(aws_endpoint_url, my_queue, cloudtwin_clock):
    sent = {"Action": "SendMessage", "MessageBody": "This is a test message"}
    status, root = query(aws_endpoint_url, sent, my_queue)
    message_id = root.findtext(f"{NAMESPACE}SendMessageResult/{NAMESPACE}MessageId")
    for _ in range(4):  # the documented message has been received 5 times
        query(aws_endpoint_url, {"Action": "ReceiveMessage", "VisibilityTimeout": "0"}, my_queue)
    cloudtwin_clock.advance(1)
    # The documented request sends AttributeName=All without an index.
    form = {"Action": "ReceiveMessage", "MaxNumberOfMessages": "5", "VisibilityTimeout": "15", "AttributeName": "All"}
    status, root = query(aws_endpoint_url, form, my_queue)
    assert status == 200
    assert root.tag == f"{NAMESPACE}ReceiveMessageResponse"
    assert [name for name, _ in children(root)] == ["ReceiveMessageResult", "ResponseMetadata"]
    (message,) = root[0]
    assert message.tag == f"{NAMESPACE}Message"
    fields = children(message)
    assert [name for name, _ in fields] == ["MessageId", "ReceiptHandle", "MD5OfBody", "Body"] + ["Attribute"] * 4
    values = dict(fields[:4])
    assert values["MessageId"] == message_id
    assert values["MD5OfBody"] == "fafb00f5732ab283681e124bf8747ed1"
    assert values["Body"] == "This is a test message"
    assert values["ReceiptHandle"]
    assert attributes(message) == {
        "SenderId": ACCOUNT,
        "SentTimestamp": "1286771522000",
        "ApproximateReceiveCount": "5",
        "ApproximateFirstReceiveTimestamp": "1286771522000",
    }


def test_receive_message_attribute_values(aws_endpoint_url, my_queue):
    sent = {
        "Action": "SendMessage",
        "MessageBody": "with attributes",
        "MessageAttribute.1.Name": "text",
        "MessageAttribute.1.Value.DataType": "String",
        "MessageAttribute.1.Value.StringValue": "a <b> & c",
        "MessageAttribute.2.Name": "bytes",
        "MessageAttribute.2.Value.DataType": "Binary.gzip",
        "MessageAttribute.2.Value.BinaryValue": "AAEC/w==",
    }
    status, root = query(aws_endpoint_url, sent, my_queue)
    digest = root.findtext(f"{NAMESPACE}SendMessageResult/{NAMESPACE}MD5OfMessageAttributes")
    form = {"Action": "ReceiveMessage", "MessageAttributeName.1": "All"}
    status, root = query(aws_endpoint_url, form, my_queue)
    (message,) = root[0]
    assert message.findtext(f"{NAMESPACE}MD5OfMessageAttributes") == digest
    found = {}
    for entry in message.findall(f"{NAMESPACE}MessageAttribute"):
        (name_tag, name), (value_tag, _) = children(entry)
        assert (name_tag, value_tag) == ("Name", "Value")
        found[name] = children(entry[1])
    assert found == {
        "text": [("StringValue", "a <b> & c"), ("DataType", "String")],
        "bytes": [("BinaryValue", "AAEC/w=="), ("DataType", "Binary.gzip")],
    }


def test_get_queue_attributes(aws_endpoint_url, my_queue):
    status, root = query(aws_endpoint_url, {"Action": "GetQueueAttributes", "AttributeName.1": "All"}, my_queue)
    assert status == 200
    assert root.tag == f"{NAMESPACE}GetQueueAttributesResponse"
    assert [name for name, _ in children(root)] == ["GetQueueAttributesResult", "ResponseMetadata"]
    assert {name for name, _ in children(root[0])} == {"Attribute"}
    documented = {
        "ReceiveMessageWaitTimeSeconds": "2",
        "VisibilityTimeout": "30",
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "CreatedTimestamp": "1286771522",
        "LastModifiedTimestamp": "1286771522",
        "QueueArn": "arn:aws:sqs:us-east-2:123456789012:MyQueue",
        "MaximumMessageSize": "8192",
        "MessageRetentionPeriod": "345600",
    }
    found = attributes(root[0])
    assert {name: found[name] for name in documented} == documented


def test_get_queue_attributes_by_name(aws_endpoint_url, my_queue):
    form = {
        "Action": "GetQueueAttributes",
        "AttributeName.1": "VisibilityTimeout",
        "AttributeName.2": "DelaySeconds",
        "AttributeName.3": "ReceiveMessageWaitTimeSeconds",
    }
    status, root = query(aws_endpoint_url, form, my_queue)
    assert status == 200
    assert attributes(root[0]) == {"VisibilityTimeout": "30", "DelaySeconds": "0", "ReceiveMessageWaitTimeSeconds": "2"}


def test_error_response(aws_endpoint_url):
    """The documented error: an invalid queue name gets InvalidParameterValue from the Sender."""
    status, root = query(aws_endpoint_url, {"Action": "CreateQueue", "QueueName": "quename_nonalpha!"})
    assert status == 400
    assert root.tag == f"{NAMESPACE}ErrorResponse"
    assert [name for name, _ in children(root)] == ["Error", "RequestId"]
    error = children(root[0])
    assert [name for name, _ in error] == ["Type", "Code", "Message", "Detail"]
    values = dict(error)
    assert values["Type"] == "Sender"
    assert values["Code"] == "InvalidParameterValue"
    assert "alphanumeric" in values["Message"]
    assert values["Detail"] == ""
    assert UUID.match(root.findtext(f"{NAMESPACE}RequestId"))


def test_nonexistent_queue_error_uses_the_query_code(aws_endpoint_url):
    status, root = query(aws_endpoint_url, {"Action": "GetQueueUrl", "QueueName": f"missing-{uuid.uuid4().hex}"})
    assert status == 400
    assert dict(children(root[0]))["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
