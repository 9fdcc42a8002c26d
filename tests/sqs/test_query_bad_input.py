"""The Query wire under bad input: each case gets AWS's ErrorResponse, code and status, and
no message is lost on the way."""

from __future__ import annotations

import json
import uuid
from xml.etree import ElementTree

import pytest

from cloudtwin.contract_tests.sqs.query_client import NAMESPACE, raw_request
from tests.sqs.test_messages import counts

VERSION = {"Version": "2012-11-05"}


def error_of(status: int, body: bytes) -> tuple[int, str, str, str]:
    """(status, Type, Code, Message) of an ErrorResponse."""
    root = ElementTree.fromstring(body)
    assert root.tag == f"{NAMESPACE}ErrorResponse"
    error = root.find(f"{NAMESPACE}Error")
    fields = [error.findtext(f"{NAMESPACE}{name}") for name in ("Type", "Code", "Message")]
    assert all(fields) and root.findtext(f"{NAMESPACE}RequestId")
    return (status, *fields)


@pytest.fixture
def queue_path(client):
    """Path of a queue that holds one message; the message must still be there afterwards."""
    url = client.create_queue(QueueName=f"bad-input-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    client.send_message(QueueUrl=url, MessageBody="kept")
    path = "/" + url.split("/", 3)[3]
    yield path
    assert counts(client, url) == (1, 0, 0)
    client.delete_queue(QueueUrl=url)


def send(endpoint: str, form, path: str = "/", **kwargs) -> tuple[int, str, str, str]:
    status, headers, body = raw_request(endpoint, form, path, **kwargs)
    assert headers["content-type"] == "text/xml"
    return error_of(status, body)


def test_missing_action(aws_endpoint_url, queue_path):
    for path in (queue_path, "/"):
        status, fault, code, _ = send(aws_endpoint_url, {**VERSION, "MessageBody": "x"}, path)
        assert (status, fault, code) == (400, "Sender", "MissingAction")


def test_empty_action(aws_endpoint_url, queue_path):
    status, _, code, _ = send(aws_endpoint_url, {**VERSION, "Action": ""}, queue_path)
    assert (status, code) == (400, "MissingAction")


@pytest.mark.parametrize("action", ["Explode", "sendmessage", "SendMessages", "CreateTopic"])
def test_unknown_action(aws_endpoint_url, queue_path, action):
    status, _, code, message = send(aws_endpoint_url, {**VERSION, "Action": action}, queue_path)
    assert (status, code) == (400, "InvalidAction")
    assert action in message


def test_wrong_version(aws_endpoint_url, queue_path):
    form = {"Action": "SendMessage", "MessageBody": "not sent", "Version": "2011-01-01"}
    status, _, code, message = send(aws_endpoint_url, form, queue_path)
    assert (status, code) == (400, "InvalidAction")
    assert "2012-11-05" in message


@pytest.mark.parametrize(
    "body",
    [
        b"Action=SendMessage&Version=2012-11-05&MessageBody=%FF%FE",  # percent-encoded bytes that are not UTF-8
        b"Action=SendMessage&Version=2012-11-05&MessageBody=\xff\xfe",  # raw bytes that are not UTF-8
    ],
)
def test_malformed_form_body(aws_endpoint_url, queue_path, body):
    status, fault, code, _ = send(aws_endpoint_url, body, queue_path)
    assert (status, fault, code) == (404, "Sender", "MalformedQueryString")


def test_malformed_query_string(aws_endpoint_url, queue_path):
    status, _, code, _ = send(aws_endpoint_url, "Action=ListQueues&Version=2012-11-05&QueueNamePrefix=%C3", "/",
                              method="GET")  # fmt: skip
    assert (status, code) == (404, "MalformedQueryString")


@pytest.mark.parametrize(
    "extra",
    [
        "AttributeName.1=All&AttributeName.1=All",  # the same key twice
        "AttributeName=All&AttributeName.1=All",  # bare and indexed
        "AttributeName.1=All&AttributeName.01=All",  # an index with a leading zero
        "AttributeName.0=All",  # indexes start at 1
        "AttributeName.x=All",  # not an index
        "AttributeName.1=All&AttributeName.3=All",  # a gap
        "AttributeName.2=All",  # a gap at the start
        "AttributeName.1.Name=All",  # a string list item with members
        "QueueUrl.1=x",  # a single value given as a list
        "AttributeName." + "1" * 5000 + "=All",  # an index too long to be one
    ],
)
def test_bad_list_indexes(aws_endpoint_url, queue_path, extra):
    form = f"Action=ReceiveMessage&Version=2012-11-05&VisibilityTimeout=0&{extra}"
    status, fault, code, _ = send(aws_endpoint_url, form, queue_path)
    assert (status, fault, code) == (400, "Sender", "InvalidParameterValue")


@pytest.mark.parametrize(
    "extra",
    [
        # a gap between batch entries
        "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
        "&SendMessageBatchRequestEntry.3.Id=c&SendMessageBatchRequestEntry.3.MessageBody=x",
        # an entry given as a single value
        "SendMessageBatchRequestEntry.1=x",
        # a message attribute without a name, or named twice
        "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v",
        "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=String"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue=v"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.2.Name=n"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.2.Value.DataType=String"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.2.Value.StringValue=v",
        # a binary attribute value that is not base64
        "SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=x"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Name=n"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType=Binary"
        "&SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.BinaryValue=!!",
    ],
)
def test_bad_batch_entries(aws_endpoint_url, queue_path, extra):
    form = f"Action=SendMessageBatch&Version=2012-11-05&{extra}"
    status, _, code, _ = send(aws_endpoint_url, form, queue_path)
    assert (status, code) == (400, "InvalidParameterValue")


def test_map_entry_without_value_or_name(aws_endpoint_url):
    for extra in ("Attribute.1.Name=VisibilityTimeout", "Attribute.1.Value=5"):
        form = f"Action=CreateQueue&Version=2012-11-05&QueueName=never-made&{extra}"
        status, _, code, _ = send(aws_endpoint_url, form)
        assert (status, code) == (400, "InvalidParameterValue")


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("MaxNumberOfMessages", "abc"),
        ("MaxNumberOfMessages", "1.5"),
        ("MaxNumberOfMessages", "1_0"),
        ("MaxNumberOfMessages", " 5"),
        ("MaxNumberOfMessages", "5\n"),
        ("MaxNumberOfMessages", "1" * 5000),
        ("VisibilityTimeout", ""),
        ("WaitTimeSeconds", "0x1"),
    ],
)
def test_non_numeric_numbers(aws_endpoint_url, queue_path, member, value):
    status, _, code, message = send(
        aws_endpoint_url, {**VERSION, "Action": "ReceiveMessage", member: value}, queue_path
    )
    assert (status, code) == (400, "InvalidParameterValue")
    assert member in message


def test_out_of_range_number_is_the_core_s_error(aws_endpoint_url, queue_path):
    form = {**VERSION, "Action": "ReceiveMessage", "MaxNumberOfMessages": "11"}
    status, _, code, _ = send(aws_endpoint_url, form, queue_path)
    assert (status, code) == (400, "InvalidParameterValue")


def test_body_with_characters_xml_cannot_carry_is_rejected(aws_endpoint_url, queue_path):
    form = {**VERSION, "Action": "SendMessage", "MessageBody": "bell \x07 and nul \x00"}
    status, _, code, _ = send(aws_endpoint_url, form, queue_path)
    assert (status, code) == (400, "InvalidMessageContents")


def test_error_message_echoing_such_characters_stays_well_formed(aws_endpoint_url, queue_path):
    form = {**VERSION, "Action": "GetQueueAttributes", "AttributeName.1": "Bad\x01Name"}
    status, _, code, message = send(aws_endpoint_url, form, queue_path)
    assert (status, code) == (400, "InvalidAttributeName")
    assert "Bad\ufffdName" in message


def test_bad_input_in_json_form(aws_endpoint_url):
    status, headers, body = raw_request(aws_endpoint_url, {**VERSION, "Action": "Explode"},
                                        headers={"Accept": "application/json"})  # fmt: skip
    assert status == 400 and headers["content-type"] == "application/json"
    document = json.loads(body)
    assert document["Error"] == {"Type": "Sender", "Code": "InvalidAction", "Message": document["Error"]["Message"],
                                 "Detail": None}  # fmt: skip
    assert document["RequestId"] == headers["x-amzn-requestid"]
