"""The admin API on the AWS port: health, reset, clock, and moto's reset endpoint."""

from __future__ import annotations

import http.client
import json
import urllib.request
from urllib.error import HTTPError
from urllib.parse import urlsplit

import pytest

from cloudtwin.pytest_plugin import factories


def call(endpoint: str, method: str, path: str, document=None, raw: bytes | None = None, headers: dict | None = None):
    data = raw if raw is not None else (json.dumps(document).encode() if document is not None else None)
    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(endpoint + path, data=data, method=method, headers=headers)
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
    assert status == 200 and document["reset"] == ["sqs"]
    assert "QueueUrls" not in sqs_client.list_queues(QueueNamePrefix="to-be-reset")


def test_reset_of_sqs_keeps_other_aws_resources(aws_endpoint_url, sqs_client):
    import boto3

    sns = boto3.client(
        "sns", endpoint_url=aws_endpoint_url, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
    )  # fmt: skip
    topic = sns.create_topic(Name="kept-by-sqs-reset")["TopicArn"]
    sqs_client.create_queue(QueueName="dropped-by-sqs-reset")
    call(aws_endpoint_url, "POST", "/_cloudtwin/reset", {"service": "sqs"})
    assert topic in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert "QueueUrls" not in sqs_client.list_queues(QueueNamePrefix="dropped-by-sqs-reset")
    call(aws_endpoint_url, "POST", "/_cloudtwin/reset", {"service": "aws"})
    assert topic not in [t["TopicArn"] for t in sns.list_topics().get("Topics", [])]


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


# Who may call the admin API: programs on this machine, not web pages (CSRF, DNS rebinding).


def test_a_cross_origin_text_post_does_not_reset(aws_endpoint_url, sqs_client):
    sqs_client.create_queue(QueueName="survives-text-post")
    status, document = call(
        aws_endpoint_url, "POST", "/_cloudtwin/reset", raw=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert status == 403 and "Content-Type: application/json" in document["error"]
    assert sqs_client.list_queues(QueueNamePrefix="survives-text-post")["QueueUrls"]


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "multipart/form-data; b=x"])
def test_admin_posts_need_a_json_content_type(aws_endpoint_url, content_type):
    # http.client sends no Content-Type unless told, as a browser's body-less fetch() POST does.
    connection = http.client.HTTPConnection(urlsplit(aws_endpoint_url).netloc, timeout=10)
    headers = {"Content-Type": content_type} if content_type else {}
    connection.request("POST", "/_cloudtwin/clock", body=b'{"advance": 0}', headers=headers)
    response = connection.getresponse()
    assert response.status == 403 and "application/json" in json.loads(response.read())["error"]
    connection.close()


def test_json_with_a_charset_is_json(aws_endpoint_url):
    status, _ = call(
        aws_endpoint_url, "POST", "/_cloudtwin/clock", {}, headers={"Content-Type": "application/json; charset=utf-8"}
    )
    assert status == 200


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost.evil.example:4566", "null"])
def test_a_foreign_origin_is_refused(aws_endpoint_url, sqs_client, origin):
    sqs_client.create_queue(QueueName="survives-foreign-origin")
    status, document = call(aws_endpoint_url, "POST", "/_cloudtwin/reset", {}, headers={"Origin": origin})
    assert status == 403 and "Origin" in document["error"]
    assert sqs_client.list_queues(QueueNamePrefix="survives-foreign-origin")["QueueUrls"]


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1:4566", "http://[::1]:8080"])
def test_a_loopback_origin_is_served(aws_endpoint_url, origin):
    status, _ = call(aws_endpoint_url, "POST", "/_cloudtwin/clock", {}, headers={"Origin": origin})
    assert status == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:4566", "rebound.attacker.test."])
def test_a_foreign_host_is_refused_even_for_health(aws_endpoint_url, host):
    status, document = call(aws_endpoint_url, "GET", "/_cloudtwin/health", headers={"Host": host})
    assert status == 403 and "Host" in document["error"] and "--admin-allowed-hosts" in document["error"]


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:4566", "app.localhost", "127.0.0.1:4566", "127.1.2.3", "[::1]:4566", "10.0.0.7"]
)
def test_loopback_names_and_addresses_are_served(aws_endpoint_url, host):
    status, document = call(aws_endpoint_url, "GET", "/_cloudtwin/health", headers={"Host": host})
    assert status == 200 and document["status"] == "up"


def test_the_sqs_api_answers_under_any_host(aws_endpoint_url):
    request = urllib.request.Request(
        aws_endpoint_url + "/",
        data=b"{}",
        method="POST",
        headers={
            "Host": "cloudtwin.example:4566",
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.ListQueues",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def test_moto_api_reset_keeps_the_admin_rules_but_takes_an_untyped_post(aws_endpoint_url, sqs_client):
    sqs_client.create_queue(QueueName="moto-rules")
    for headers in ({"Origin": "https://evil.example"}, {"Content-Type": "text/plain"}, {"Host": "evil.example"}):
        status, _ = call(aws_endpoint_url, "POST", "/moto-api/reset", raw=b"", headers=headers)
        assert status == 403, headers
    assert sqs_client.list_queues(QueueNamePrefix="moto-rules")["QueueUrls"]
    request = urllib.request.Request(aws_endpoint_url + "/moto-api/reset", method="POST")  # as moto's tools post it
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert "QueueUrls" not in sqs_client.list_queues(QueueNamePrefix="moto-rules")


compose_twin = factories.cloudtwin_proc(scope="module", admin_allowed_hosts="cloudtwin, ci-twin.internal")


@pytest.mark.parametrize(("host", "status"), [("cloudtwin:4566", 200), ("CI-twin.internal", 200), ("other", 403)])
def test_allowed_hosts_open_the_admin_api_to_more_names(compose_twin, host, status):
    code, _ = call(compose_twin.aws_endpoint, "GET", "/_cloudtwin/health", headers={"Host": host})
    assert code == status
    code, _ = call(compose_twin.aws_endpoint, "POST", "/_cloudtwin/clock", {}, headers={"Origin": f"http://{host}"})
    assert code == status
