"""The admin API's look at what a twin was asked (`/_cloudtwin/requests`) and what its queues hold (`/queues`)."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request

import boto3
import pytest
from botocore.exceptions import ClientError

from cloudtwin.pytest_plugin import factories
from tests.test_admin import call

recorded_twin = factories.cloudtwin_proc(scope="function")


def client(service: str, endpoint: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
    )  # fmt: skip


def test_requests_are_recorded_only_when_asked(recorded_twin):
    endpoint = recorded_twin.aws_endpoint
    sqs = client("sqs", endpoint)
    sqs.create_queue(QueueName="before-recording")
    status, document = call(endpoint, "POST", "/_cloudtwin/requests", {"record": True})
    assert status == 200 and document == {"recording": True}
    sqs.list_queues()
    _, document = call(endpoint, "GET", "/_cloudtwin/requests")
    assert [entry["action"] for entry in document["requests"]] == ["ListQueues"]
    call(endpoint, "POST", "/_cloudtwin/requests", {"record": False})
    _, document = call(endpoint, "GET", "/_cloudtwin/requests")
    assert document["recording"] is False and document["requests"] == []


def test_recorded_requests_name_action_queue_status_and_error(recorded_twin):
    endpoint = recorded_twin.aws_endpoint
    call(endpoint, "POST", "/_cloudtwin/requests", {"record": True})
    started = time.time()
    sqs = client("sqs", endpoint)
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    sqs.send_message(MessageBody="x" * 100_000, QueueUrl=url)  # the queue named after a large body
    with pytest.raises(ClientError):
        sqs.receive_message(QueueUrl=url.replace("orders", "missing"))
    form = urllib.parse.urlencode({"Action": "GetQueueAttributes", "Version": "2012-11-05"}).encode()
    urllib.request.urlopen(urllib.request.Request(url, data=form), timeout=10).read()  # Query wire, queue by path
    client("sns", endpoint).create_topic(Name="events")

    _, document = call(endpoint, "GET", f"/_cloudtwin/requests?since={started}")
    seen = [(e["service"], e["action"], e["queue"], e["status"], e["error"]) for e in document["requests"]]
    assert seen == [
        ("sqs", "CreateQueue", "orders", 200, ""),
        ("sqs", "SendMessage", "orders", 200, ""),
        ("sqs", "ReceiveMessage", "missing", 400, "QueueDoesNotExist"),
        ("", "GetQueueAttributes", "orders", 200, ""),
        ("sns", "CreateTopic", "", 200, ""),
    ]
    assert document["count"] == 5 and document["complete"] is True
    _, limited = call(endpoint, "GET", f"/_cloudtwin/requests?since={started}&limit=2")
    assert [e["action"] for e in limited["requests"]] == ["GetQueueAttributes", "CreateTopic"]
    assert limited["count"] == 5


def test_the_log_keeps_the_last_thousand(recorded_twin):
    log = recorded_twin.services["aws"].gateway.request_log
    log.recording = True
    sqs = client("sqs", recorded_twin.aws_endpoint)
    for _ in range(1001):
        sqs.list_queues()
    document = log.since(0, limit=1)
    assert document["count"] == 1000 and document["complete"] is False


def test_queues_show_counts_and_newest_messages_without_receiving_them(recorded_twin, cloudtwin_clock):
    cloudtwin_clock.freeze()
    endpoint = recorded_twin.aws_endpoint
    sqs = client("sqs", endpoint)
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    for body in ("first", "second", "third", "fourth"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=60)
    received = sqs.receive_message(QueueUrl=url)["Messages"][0]

    _, document = call(endpoint, "GET", "/_cloudtwin/queues?names=jobs,absent&messages=3")
    (queue,) = document["queues"]
    assert (queue["name"], queue["visible"], queue["in_flight"], queue["delayed"]) == ("jobs", 3, 1, 1)
    newest = [(m["body"], m["state"], m["receive_count"]) for m in queue["newest_messages"]]
    assert newest == [("later", "delayed", 0), ("fourth", "visible", 0), ("third", "visible", 0)]
    _, again = call(endpoint, "GET", "/_cloudtwin/queues?names=jobs&messages=10")
    first = again["queues"][0]["newest_messages"][-1]
    assert first["id"] == received["MessageId"] and first["receive_count"] == 1

    cloudtwin_clock.advance(31)  # the received message's visibility timeout ends: the view says so
    _, later = call(endpoint, "GET", "/_cloudtwin/queues?names=jobs")
    assert (later["queues"][0]["visible"], later["queues"][0]["in_flight"]) == (4, 0)
