"""The JSON 1.0 wire under bad input: each gets AWS's error, and the server keeps serving."""

from __future__ import annotations

import json
import socket
import urllib.request
from urllib.error import HTTPError

import pytest

from tests.sqs.test_messages import counts

TARGET = "AmazonSQS.{}"


def post(endpoint: str, body: bytes, target: str | None, content_type="application/x-amz-json-1.0"):
    headers = {"Content-Type": content_type}
    if target is not None:
        headers["X-Amz-Target"] = target
    request = urllib.request.Request(endpoint + "/", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


@pytest.fixture
def queue_with_message(sqs, new_queue):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    return url


def test_error_shape_and_query_error_header(aws_endpoint_url):
    status, headers, document = post(aws_endpoint_url, b'{"QueueName": "missing"}', TARGET.format("GetQueueUrl"))
    assert status == 400
    assert document["__type"] == "com.amazonaws.sqs#QueueDoesNotExist"
    assert document["message"] == "The specified queue does not exist."
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert headers["x-amzn-RequestId"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_malformed_json(aws_endpoint_url, body, sqs, queue_with_message):
    status, _, document = post(aws_endpoint_url, body, TARGET.format("ListQueues"))
    assert status == 400
    assert document["__type"].endswith("SerializationException")
    expected = "Malformed JSON request body: " if body in (b"{not json", b"\xff\xfe") else "The request body must be"
    assert document["message"].startswith(expected)
    assert counts(sqs, queue_with_message) == (1, 0, 0)


def test_json_that_only_the_lenient_reader_takes_gets_the_sqs_error(aws_endpoint_url, sqs, queue_with_message):
    # An escaped lone surrogate is valid JSON text for Python's reader but no character SQS allows in a body.
    body = b'{"QueueUrl": "%s", "MessageBody": "a\\ud800b"}' % queue_with_message.encode()
    status, _, document = post(aws_endpoint_url, body, TARGET.format("SendMessage"))
    assert status == 400
    assert document["__type"] == "com.amazonaws.sqs#InvalidMessageContents"
    body = b'{"QueueUrl": "%s", "MessageBody": "x", "DelaySeconds": NaN}' % queue_with_message.encode()
    status, _, document = post(aws_endpoint_url, body, TARGET.format("SendMessage"))
    assert status == 400
    assert document["__type"].endswith("SerializationException")
    assert counts(sqs, queue_with_message) == (1, 0, 0)


def test_unicode_and_binary_attributes_round_trip_on_the_json_wire(aws_endpoint_url, queue_with_message):
    attributes = {
        "bin": {"DataType": "Binary", "BinaryValue": "AAH/"},
        "text": {"DataType": "String", "StringValue": "ü😀"},
    }
    payload = {"QueueUrl": queue_with_message, "MessageBody": "naïve 😀 \u4e2d", "MessageAttributes": attributes}
    status, _, sent = post(aws_endpoint_url, json.dumps(payload).encode(), TARGET.format("SendMessage"))
    assert status == 200
    receive = {"QueueUrl": queue_with_message, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"]}
    status, _, received = post(aws_endpoint_url, json.dumps(receive).encode(), TARGET.format("ReceiveMessage"))
    message = next(m for m in received["Messages"] if m["MessageId"] == sent["MessageId"])
    assert message["Body"] == "naïve 😀 \u4e2d"
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]


@pytest.mark.parametrize(
    "payload",
    [
        {"QueueUrl": 5, "MessageBody": "x"},
        {"QueueUrl": "u", "MessageBody": "x", "DelaySeconds": "five"},
        {"QueueUrl": "u", "MessageBody": "x", "MessageAttributes": {"a": "not an object"}},
        {"QueueUrl": "u", "MessageBody": "x", "MessageAttributes": {"a": {"DataType": "Binary", "BinaryValue": "!!"}}},
    ],
)
def test_wrongly_typed_members(aws_endpoint_url, payload):
    status, _, document = post(aws_endpoint_url, json.dumps(payload).encode(), TARGET.format("SendMessage"))
    assert status == 400
    assert document["__type"].endswith("SerializationException")


@pytest.mark.parametrize("target", ["AmazonSQS.Explode", "AmazonSQS", "AmazonSQS.", "AmazonSQSX.ListQueues"])
def test_unknown_target(aws_endpoint_url, target):
    status, _, document = post(aws_endpoint_url, b"{}", target)
    assert status == 400
    assert document["__type"] == "com.amazon.coral.service#UnknownOperationException"


def test_wrong_content_type(aws_endpoint_url):
    status, _, document = post(aws_endpoint_url, b"{}", TARGET.format("ListQueues"), content_type="text/plain")
    assert status == 400
    assert "Content-Type" in document["message"]


def test_oversized_body_gets_413_and_the_server_keeps_serving(cloudtwin, sqs, queue_with_message):
    limit = cloudtwin.settings.max_request_bytes
    host, port = cloudtwin.services["aws"].server.host, cloudtwin.services["aws"].server.port
    with socket.create_connection((host, port), timeout=10) as conn:
        head = (
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
            f"X-Amz-Target: AmazonSQS.ListQueues\r\nContent-Length: {limit + 1}\r\n\r\n"
        )
        conn.sendall(head.encode())
        conn.sendall(b" " * (limit + 1))
        reply = conn.recv(200)
    assert reply.startswith(b"HTTP/1.1 413")
    assert counts(sqs, queue_with_message) == (1, 0, 0)


@pytest.mark.parametrize(
    "raw",
    [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nbad header line\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n"],
)
def test_malformed_http_gets_400(cloudtwin, sqs, queue_with_message, raw):
    server = cloudtwin.services["aws"].server
    with socket.create_connection((server.host, server.port), timeout=10) as conn:
        conn.sendall(raw)
        assert conn.recv(200).startswith(b"HTTP/1.1 400")
    assert counts(sqs, queue_with_message) == (1, 0, 0)


def test_keep_alive_serves_many_requests_on_one_connection(cloudtwin):
    server = cloudtwin.services["aws"].server
    body = b"{}"
    request = (
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: AmazonSQS.ListQueues\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((server.host, server.port), timeout=10) as conn:
        conn.sendall(request * 3)
        received = b""
        while received.count(b"HTTP/1.1 200") < 3:
            chunk = conn.recv(65536)
            assert chunk
            received += chunk


def test_missing_target_on_a_json_request_signed_for_sqs(aws_endpoint_url):
    request = urllib.request.Request(
        aws_endpoint_url + "/",
        data=b"{}",
        method="POST",
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(HTTPError) as excinfo:
        urllib.request.urlopen(request, timeout=10)
    assert excinfo.value.code == 400
    assert json.loads(excinfo.value.read())["__type"] == "com.amazon.coral.service#UnknownOperationException"


def test_many_connections_opened_and_dropped(cloudtwin, sqs, queue_with_message):
    server = cloudtwin.services["aws"].server
    connections = []
    for index in range(300):
        conn = socket.create_connection((server.host, server.port), timeout=10)
        if index % 3 == 0:
            conn.sendall(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\npartial")  # then vanish mid-body
        elif index % 3 == 1:
            conn.sendall(b"\x00\xff garbage")
        connections.append(conn)
    for conn in connections:
        conn.close()
    assert counts(sqs, queue_with_message) == (1, 0, 0)
