"""The admin API on the AWS port: health, reset, clock, and moto's reset endpoint."""

from __future__ import annotations

import json
import urllib.request
from urllib.error import HTTPError

import pytest


def call(endpoint: str, method: str, path: str, document=None, raw: bytes | None = None):
    data = raw if raw is not None else (json.dumps(document).encode() if document is not None else None)
    request = urllib.request.Request(endpoint + path, data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
            return response.status, json.loads(body) if body else None
    except HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_health(aws_endpoint_url):
    status, document = call(aws_endpoint_url, "GET", "/_cloudtwin/health")
    assert status == 200
    assert document["status"] == "up"
    assert document["services"]["aws"]["up"] is True
    assert document["services"]["aws"]["endpoint"] == aws_endpoint_url


def test_health_answers_head(aws_endpoint_url):
    request = urllib.request.Request(aws_endpoint_url + "/_cloudtwin/health", method="HEAD")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.read() == b""


def test_reset_drops_queues(aws_endpoint_url, sqs_client):
    sqs_client.create_queue(QueueName="to-be-reset")
    status, document = call(aws_endpoint_url, "POST", "/_cloudtwin/reset", {"service": "sqs"})
    assert status == 200 and document["reset"] == ["aws"]
    assert "QueueUrls" not in sqs_client.list_queues(QueueNamePrefix="to-be-reset")


def test_reset_of_an_unknown_service(aws_endpoint_url):
    status, document = call(aws_endpoint_url, "POST", "/_cloudtwin/reset", {"service": "dynamodb"})
    assert status == 400 and "unknown service" in document["error"]


def test_moto_api_reset_resets_sqs_too(aws_endpoint_url, sqs_client):
    sqs_client.create_queue(QueueName="moto-reset")
    status, document = call(aws_endpoint_url, "POST", "/moto-api/reset")
    assert status == 200 and document == {"status": "ok"}
    assert "QueueUrls" not in sqs_client.list_queues(QueueNamePrefix="moto-reset")


def test_clock_freeze_advance_and_reset(aws_endpoint_url, cloudtwin_clock):
    status, frozen = call(aws_endpoint_url, "POST", "/_cloudtwin/clock", {"freeze": 1_000_000})
    assert status == 200 and frozen == {"now": 1_000_000, "frozen": True}
    _, advanced = call(aws_endpoint_url, "POST", "/_cloudtwin/clock", {"advance": 31})
    assert advanced["now"] == 1_000_031
    _, shown = call(aws_endpoint_url, "GET", "/_cloudtwin/clock")
    assert shown == advanced
    _, released = call(aws_endpoint_url, "POST", "/_cloudtwin/clock", {"reset": True})
    assert released["frozen"] is False and released["now"] > 1_700_000_000


def test_clock_moves_sqs_visibility(aws_endpoint_url, sqs_client, sqs_queue, cloudtwin_clock):
    call(aws_endpoint_url, "POST", "/_cloudtwin/clock", {"freeze": True})
    sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="x")
    sqs_client.receive_message(QueueUrl=sqs_queue)
    assert "Messages" not in sqs_client.receive_message(QueueUrl=sqs_queue)
    call(aws_endpoint_url, "POST", "/_cloudtwin/clock", {"advance": 31})
    assert sqs_client.receive_message(QueueUrl=sqs_queue)["Messages"][0]["Body"] == "x"


@pytest.mark.parametrize(
    ("method", "path", "raw", "status"),
    [
        ("GET", "/_cloudtwin/nothing", None, 404),
        ("DELETE", "/_cloudtwin/health", None, 405),
        ("POST", "/_cloudtwin/clock", b"{broken", 400),
        ("POST", "/_cloudtwin/clock", b'{"advance": "soon"}', 400),
        ("POST", "/_cloudtwin/clock", b'{"advance": -5}', 400),
    ],
)
def test_bad_admin_requests(aws_endpoint_url, method, path, raw, status):
    code, document = call(aws_endpoint_url, method, path, raw=raw)
    assert code == status and document["error"]
