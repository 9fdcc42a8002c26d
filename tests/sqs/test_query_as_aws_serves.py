"""The Query wire as AWS serves it: GETs to queue URLs, optional Version, the queue URL's forms,
and the answers AWS gives to requests that name no action, the wrong endpoint or too little."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

import pytest
import urllib3
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from cloudtwin.contract_tests.sqs.query_client import NAMESPACE, parse_response, raw_request
from tests.sqs.conftest import make_json_client, path_of

ACCOUNT = "000000000000"


def get(endpoint: str, path: str, form: dict[str, str], **kwargs) -> tuple[int, dict[str, str], bytes]:
    """A GET signed in the Authorization header, with no Version unless the form has one."""
    return raw_request(endpoint, form, path, method="GET", **kwargs)


def error_of(body: bytes) -> tuple[str, str, str]:
    root = ElementTree.fromstring(body)
    assert root.tag == f"{NAMESPACE}ErrorResponse"
    error = root.find(f"{NAMESPACE}Error")
    return tuple(error.findtext(f"{NAMESPACE}{name}") for name in ("Type", "Code", "Message"))


def test_version_is_optional_on_post_and_get(aws_endpoint_url, queue_url):
    status, headers, body = raw_request(aws_endpoint_url, {"Action": "SendMessage", "MessageBody": "no version"},
                                        path_of(queue_url))  # fmt: skip
    assert parse_response("SendMessage", status, headers, body)["MessageId"]
    status, headers, body = get(aws_endpoint_url, path_of(queue_url), {"Action": "ReceiveMessage"})
    (message,) = parse_response("ReceiveMessage", status, headers, body)["Messages"]
    assert message["Body"] == "no version"


def test_get_queue_attributes_on_the_queue_url(aws_endpoint_url, queue_url):
    status, _, body = get(
        aws_endpoint_url, path_of(queue_url), {"Action": "GetQueueAttributes", "AttributeName.1": "All"}
    )
    assert status == 200
    text = body.decode()
    assert "<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>" in text
    assert (
        f"<Attribute><Name>QueueArn</Name><Value>arn:aws:sqs:us-east-1:{ACCOUNT}:{queue_url.rsplit('/', 1)[1]}" in text
    )
    status, _, body = get(aws_endpoint_url, path_of(queue_url),
                          {"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"})  # fmt: skip
    assert status == 200 and b"QueueArn" in body and b"VisibilityTimeout" not in body


def test_presigned_get_send_receive_and_delete_queue(aws_endpoint_url, client, queue_url):
    def presigned(form: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        request = AWSRequest(method="GET", url=f"{aws_endpoint_url}{path_of(queue_url)}?{urlencode(form)}")
        SigV4QueryAuth(Credentials("test", "test"), "sqs", "us-east-1", expires=60).add_auth(request)
        assert "X-Amz-Signature=" in request.url
        answer = urllib3.request("GET", request.url)
        return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.data

    assert parse_response("SendMessage", *presigned({"Action": "SendMessage", "MessageBody": "foobar"}))["MessageId"]
    (message,) = parse_response("ReceiveMessage", *presigned({"Action": "ReceiveMessage"}))["Messages"]
    assert message["Body"] == "foobar"
    assert parse_response("DeleteQueue", *presigned({"Action": "DeleteQueue"}))
    with pytest.raises(ClientError, match="NonExistentQueue"):
        client.get_queue_attributes(QueueUrl=queue_url)


def test_queue_url_parameter_overrides_the_path(aws_endpoint_url, client, queue_url):
    other = client.create_queue(QueueName=f"served-other-{uuid.uuid4().hex[:12]}")["QueueUrl"]
    form = {"Action": "GetQueueAttributes", "QueueUrl": other, "AttributeName.1": "QueueArn"}
    answer = parse_response("GetQueueAttributes", *get(aws_endpoint_url, path_of(queue_url), form))
    assert answer["Attributes"]["QueueArn"].endswith(":" + other.rsplit("/", 1)[1])
    client.delete_queue(QueueUrl=other)


@pytest.mark.parametrize("signed", [True, False])
def test_get_without_action_answers_unknown_operation(aws_endpoint_url, queue_url, signed):
    sign = "sqs" if signed else None
    paths = [path_of(queue_url), "/"] if signed else ["/"]
    for path in paths:
        for headers in ({}, {"Accept": "application/json"}):
            status, _, body = raw_request(aws_endpoint_url, "", path, method="GET", sign=sign, headers=headers)
            assert (status, body) == (404, b"<UnknownOperationException/>")


@pytest.mark.parametrize("action", ["CreateQueue", "ListQueues"])
def test_queue_less_action_on_a_queue_url(aws_endpoint_url, queue_url, action):
    form = {"Action": action, "QueueName": f"never-{uuid.uuid4().hex[:8]}"}
    status, _, body = get(aws_endpoint_url, path_of(queue_url), form)
    assert status == 400
    assert error_of(body) == ("Sender", "InvalidAction", f"The action {action} is not valid for this endpoint.")
    status, headers, body = get(aws_endpoint_url, path_of(queue_url), form, headers={"Accept": "application/json"})
    assert status == 400 and headers["content-type"] == "application/json"
    error = json.loads(body)["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidAction",
        f"The action {action} is not valid for this endpoint.",
    )


def test_unknown_action_on_a_queue_url(aws_endpoint_url, queue_url):
    status, _, body = get(aws_endpoint_url, path_of(queue_url), {"Action": "FooBar", "Version": "2012-11-05"})
    assert status == 400
    assert error_of(body) == ("Sender", "InvalidAction", "The action FooBar is not valid for this endpoint.")


def test_missing_required_parameter_on_both_wires(aws_endpoint_url, queue_url):
    status, _, body = get(aws_endpoint_url, path_of(queue_url), {"Action": "SendMessage"})
    assert status == 400
    assert error_of(body) == ("Sender", "MissingParameter", "The request must contain the parameter MessageBody.")
    form = {"Action": "ChangeMessageVisibility", "ReceiptHandle": "x"}
    status, _, body = get(aws_endpoint_url, path_of(queue_url), form)
    assert error_of(body)[1:] == ("MissingParameter", "The request must contain the parameter VisibilityTimeout.")
    # The JSON wire: AWS's __type for it, and the Query code in x-amzn-query-error.
    status, headers, body = raw_request(
        aws_endpoint_url, json.dumps({"QueueUrl": queue_url}), "/",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.SendMessage"},
    )  # fmt: skip
    document = json.loads(body)
    assert status == 400
    assert document == {"__type": "com.amazonaws.sqs#MissingRequiredParameterException",
                        "message": "The request must contain the parameter MessageBody."}  # fmt: skip
    assert headers["x-amzn-query-error"] == "MissingParameter;Sender"


def test_json_error_type_of_invalid_parameter_value(aws_endpoint_url, queue_url):
    status, headers, body = raw_request(
        aws_endpoint_url, json.dumps({"QueueUrl": queue_url, "MaxNumberOfMessages": 11}), "/",
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "AmazonSQS.ReceiveMessage"},
    )  # fmt: skip
    assert status == 400
    assert json.loads(body)["__type"] == "com.amazonaws.sqs#InvalidParameterValueException"
    assert headers["x-amzn-query-error"] == "InvalidParameterValue;Sender"


def test_json_answer_lists_attributes_as_entries(aws_endpoint_url, queue_url):
    form = {"Action": "GetQueueAttributes", "AttributeName.1": "All"}
    status, headers, body = get(aws_endpoint_url, path_of(queue_url), form, headers={"Accept": "application/json"})
    assert status == 200 and headers["content-type"] == "application/json"
    attributes = json.loads(body)["GetQueueAttributesResponse"]["GetQueueAttributesResult"]["Attributes"]
    values = {entry["Name"]: entry["Value"] for entry in attributes}
    assert values["QueueArn"].endswith(":" + queue_url.rsplit("/", 1)[1]) and values["VisibilityTimeout"] == "30"


def test_tag_queue_takes_tags_n_as_older_java_sdks_send_it(aws_endpoint_url, client, queue_url):
    form = {
        "Action": "TagQueue",
        "Tags.1.Key": "team",
        "Tags.1.Value": "core",
        "Tags.2.Key": "tier",
        "Tags.2.Value": "1",
    }
    assert parse_response("TagQueue", *raw_request(aws_endpoint_url, form, path_of(queue_url)))
    assert client.list_queue_tags(QueueUrl=queue_url)["Tags"] == {"team": "core", "tier": "1"}


@pytest.mark.parametrize(
    "host_form", ["sqs.{region}.localhost.localstack.cloud", "{region}.queue.localhost.localstack.cloud"]
)
def test_host_form_queue_urls_reach_the_queue(aws_endpoint_url, host_form):
    region = "eu-west-1"
    name = f"host-form-{uuid.uuid4().hex[:12]}"
    regional = make_json_client(aws_endpoint_url, region=region)
    path_url = regional.create_queue(QueueName=name)["QueueUrl"]
    port = urlsplit(aws_endpoint_url).port
    host_url = f"http://{host_form.format(region=region)}:{port}/{ACCOUNT}/{name}"
    # As a QueueUrl parameter, on both wires.
    regional.send_message(QueueUrl=host_url, MessageBody="json")
    form = {"Action": "SendMessage", "QueueUrl": host_url, "MessageBody": "query"}
    assert parse_response("SendMessage", *raw_request(aws_endpoint_url, form, region=region))["MessageId"]
    # As the request's own URL: its Host names the region, unsigned or signed.
    headers = {"Host": urlsplit(host_url).netloc}
    form = {"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"}
    answer = parse_response("GetQueueAttributes", *get(aws_endpoint_url, f"/{ACCOUNT}/{name}", form, headers=headers,
                                                       sign=None))  # fmt: skip
    assert answer["Attributes"]["QueueArn"] == f"arn:aws:sqs:{region}:{ACCOUNT}:{name}"
    form = {"Action": "ReceiveMessage", "MaxNumberOfMessages": "10", "VisibilityTimeout": "0"}
    received = parse_response("ReceiveMessage", *get(aws_endpoint_url, f"/{ACCOUNT}/{name}", form, headers=headers,
                                                     region=region))  # fmt: skip
    assert sorted(m["Body"] for m in received["Messages"]) == ["json", "query"]
    assert regional.get_queue_attributes(QueueUrl=path_url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"
    ] == {"ApproximateNumberOfMessages": "2"}
    regional.delete_queue(QueueUrl=path_url)


def test_queue_name_alone_as_queue_url(sqs, new_queue):
    url = new_queue()
    name = url.rsplit("/", 1)[1]
    sent = sqs.send_message(QueueUrl=name, MessageBody="Using name instead of URL")
    assert sent["MD5OfMessageBody"] == "86a83f96652a1bfad3891e7d523750cb"
    (message,) = sqs.receive_message(QueueUrl=url)["Messages"]
    assert message["Body"] == "Using name instead of URL"


def test_nonexistent_queue_message_on_each_wire(aws_endpoint_url, client):
    gone = f"{aws_endpoint_url}/queue/us-east-1/{ACCOUNT}/never-{uuid.uuid4().hex[:12]}"
    with pytest.raises(ClientError) as excinfo:
        make_json_client(aws_endpoint_url).get_queue_attributes(QueueUrl=gone)
    assert excinfo.value.response["Error"]["Message"] == "The specified queue does not exist."
    assert excinfo.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(ClientError) as excinfo:
        client.get_queue_attributes(QueueUrl=gone)
    assert excinfo.value.response["Error"]["Message"] == "The specified queue does not exist for this wsdl version."
    assert excinfo.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
