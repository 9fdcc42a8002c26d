"""The Query wire's ways of asking: GET and POST, presigned URLs, `/` or the queue URL, the
JSON form, and the gateway's routing; plus the unflattening the JSON wire's structure comes from."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest
import urllib3
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from cloudtwin.contract_tests.sqs.query_client import parse_response, raw_request
from cloudtwin.sqs import query_form
from cloudtwin.sqs.query_protocol import is_query_request
from tests.sqs.conftest import make_json_client, path_of

VERSION = {"Version": "2012-11-05"}
ACCOUNT = "210987654321"


def test_unsigned_get_to_the_queue_url(aws_endpoint_url, client, queue_url):
    sent = {**VERSION, "Action": "SendMessage", "MessageBody": "over GET", "DelaySeconds": "0"}
    status, headers, body = raw_request(aws_endpoint_url, sent, path_of(queue_url), method="GET", sign=None)
    message_id = parse_response("SendMessage", status, headers, body)["MessageId"]
    form = {**VERSION, "Action": "ReceiveMessage", "WaitTimeSeconds": "0"}
    status, headers, body = raw_request(aws_endpoint_url, form, path_of(queue_url), method="GET", sign=None)
    (message,) = parse_response("ReceiveMessage", status, headers, body)["Messages"]
    assert (message["MessageId"], message["Body"]) == (message_id, "over GET")


def presigned(endpoint: str, path: str, form: dict[str, str], region: str) -> tuple[int, dict, bytes]:
    request = AWSRequest(method="GET", url=f"{endpoint}{path}?{urlencode({**VERSION, **form})}")
    SigV4QueryAuth(Credentials(ACCOUNT, "secret"), "sqs", region, expires=60).add_auth(request)
    assert "X-Amz-Signature=" in request.url
    answer = urllib3.request("GET", request.url)
    return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.data


def test_presigned_get_takes_region_and_account_from_the_signature(aws_endpoint_url):
    name = f"presigned-{uuid.uuid4().hex[:12]}"
    answer = presigned(aws_endpoint_url, "/", {"Action": "CreateQueue", "QueueName": name}, "eu-west-1")
    url = parse_response("CreateQueue", *answer)["QueueUrl"]
    assert url == f"{aws_endpoint_url}/queue/eu-west-1/{ACCOUNT}/{name}"
    # AWS's own queue URL path, /<account>/<name>: the region is the signature's.
    answer = presigned(
        aws_endpoint_url, f"/{ACCOUNT}/{name}", {"Action": "SendMessage", "MessageBody": "hi"}, "eu-west-1"
    )
    assert parse_response("SendMessage", *answer)["MessageId"]
    answer = presigned(aws_endpoint_url, f"/{ACCOUNT}/{name}", {"Action": "ReceiveMessage"}, "eu-west-2")
    with pytest.raises(ClientError, match="NonExistentQueue"):
        parse_response("ReceiveMessage", *answer)
    answer = presigned(aws_endpoint_url, "/", {"Action": "DeleteQueue", "QueueUrl": url}, "eu-west-1")
    parse_response("DeleteQueue", *answer)


def test_post_to_root_with_queue_url_as_older_sdks_send_it(aws_endpoint_url, queue_url):
    form = {**VERSION, "Action": "SendMessage", "QueueUrl": queue_url, "MessageBody": "to /"}
    assert parse_response("SendMessage", *raw_request(aws_endpoint_url, form))["MessageId"]
    aws_style = f"https://sqs.us-east-1.amazonaws.com/000000000000/{queue_url.rsplit('/', 1)[1]}"
    form = {**VERSION, "Action": "GetQueueAttributes", "QueueUrl": aws_style, "AttributeName.1": "All"}
    attributes = parse_response("GetQueueAttributes", *raw_request(aws_endpoint_url, form))["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "1"


def test_query_to_a_queue_url_never_reaches_moto(aws_endpoint_url, queue_url):
    status, headers, body = raw_request(aws_endpoint_url, {**VERSION, "Action": "ListBuckets"}, path_of(queue_url),
                                        method="GET", sign=None)  # fmt: skip
    with pytest.raises(ClientError, match="InvalidAction"):
        parse_response("ListBuckets", status, headers, body)


def test_carriage_returns_and_markup_survive_the_xml(aws_endpoint_url, client, queue_url):
    body = "line\r\nnext\rlast <tag attr=\"v\"> & 'quote' \t tab ]]> \U0001f600"
    client.send_message(QueueUrl=queue_url, MessageBody=body,
                        MessageAttributes={"a": {"DataType": "String", "StringValue": body}})  # fmt: skip
    (message,) = client.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"])["Messages"]
    assert message["Body"] == body
    assert message["MessageAttributes"]["a"]["StringValue"] == body
    # The JSON wire sees the same message.
    json_client = make_json_client(aws_endpoint_url)
    json_client.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"],
                                          VisibilityTimeout=0)  # fmt: skip
    (again,) = json_client.receive_message(QueueUrl=queue_url)["Messages"]
    assert again["Body"] == body and again["MD5OfBody"] == message["MD5OfBody"]


def test_json_form_when_the_client_asks_for_json(aws_endpoint_url, queue_url):
    accept = {"Accept": "application/json"}
    form = {**VERSION, "Action": "SendMessage", "MessageBody": "json please", "MessageAttribute.1.Name": "b",
            "MessageAttribute.1.Value.DataType": "Binary", "MessageAttribute.1.Value.BinaryValue": "AAE="}  # fmt: skip
    status, headers, body = raw_request(aws_endpoint_url, form, path_of(queue_url), headers=accept)
    assert status == 200 and headers["content-type"] == "application/json"
    document = json.loads(body)
    result = document["SendMessageResponse"]["SendMessageResult"]
    assert set(result) == {"MD5OfMessageBody", "MD5OfMessageAttributes", "MD5OfMessageSystemAttributes",
                           "MessageId", "SequenceNumber"}  # fmt: skip
    assert result["SequenceNumber"] is None and result["MD5OfMessageSystemAttributes"] is None
    assert document["SendMessageResponse"]["ResponseMetadata"] == {"RequestId": headers["x-amzn-requestid"]}
    form = {**VERSION, "Action": "ReceiveMessage", "MessageAttributeName.1": "All"}
    document = json.loads(raw_request(aws_endpoint_url, form, path_of(queue_url), headers=accept)[2])
    (message,) = document["ReceiveMessageResponse"]["ReceiveMessageResult"]["Messages"]
    assert message["Body"] == "json please"
    # Maps come as lists of entries, as in the XML (AWS's GetQueueAttributes JSON has `[{"Name", "Value"}]`).
    assert message["MessageAttributes"] == [{"Name": "b", "Value": {"DataType": "Binary", "BinaryValue": "AAE="}}]
    form = {**VERSION, "Action": "PurgeQueue"}
    document = json.loads(raw_request(aws_endpoint_url, form, path_of(queue_url), headers=accept)[2])
    assert set(document["PurgeQueueResponse"]) == {"ResponseMetadata"}


def environ(path="/", query="", method="POST", body=b"", content_type="application/x-www-form-urlencoded",
            authorization="") -> dict:  # fmt: skip
    return {"PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": method, "cloudtwin.body": body,
            "CONTENT_TYPE": content_type, "HTTP_AUTHORIZATION": authorization}  # fmt: skip


def signed_for(service: str) -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
    )


@pytest.mark.parametrize(
    ("request_environ", "ours"),
    [
        (environ(body=b"Action=ListQueues&Version=2012-11-05"), True),
        (environ(body=b"Action=ListQueues", authorization=signed_for("sqs")), True),
        (environ(body=b"Version=2012-11-05", authorization=signed_for("sqs")), True),  # gets MissingAction
        (environ(body=b"Action=Publish", authorization=signed_for("sns")), False),
        (environ(body=b"Action=AddPermission", authorization=signed_for("sns")), False),
        (environ(body=b"Action=CreateCacheCluster", authorization=signed_for("elasticache")), False),
        (environ("/000000000000/q", method="GET", query="Action=ReceiveMessage"), True),
        (environ("/queue/us-east-1/000000000000/q", body=b"MessageBody=x"), True),  # gets MissingAction
        (environ("/000000000000/q", method="GET", content_type=""), False),  # an S3 GET, path-style
        (environ("/000000000000/q", method="GET", authorization=signed_for("sqs")), True),  # gets MissingAction
        (environ("/000000000000/q", method="PUT", body=b"data", authorization=signed_for("s3")), False),
        (environ("/000000000000/q", query="Action=SendMessage", authorization=signed_for("s3")), False),
        (environ("/some/other/path", query="Action=ListQueues"), False),
        (environ(body=b"", content_type=""), False),
        (environ(method="GET", content_type=""), True),  # gets AWS's UnknownOperationException
    ],
)
def test_gateway_routing(request_environ, ours):
    assert is_query_request(request_environ) is ours


def test_unflatten_builds_what_the_json_wire_gets():
    form = {
        "Action": "SendMessageBatch",
        "SendMessageBatchRequestEntry.2.Id": "b",
        "SendMessageBatchRequestEntry.2.MessageBody": "two",
        "SendMessageBatchRequestEntry.2.DelaySeconds": "5",
        "SendMessageBatchRequestEntry.1.Id": "a",
        "SendMessageBatchRequestEntry.1.MessageBody": "one",
        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name": "n",
        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType": "Number",
        "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue": "1",
        "SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Name": "AWSTraceHeader",
        "SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.DataType": "String",
        "SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.StringValue": "Root=1",
        "QueueUrl": "http://h/000000000000/q",
        "X-Amz-Date": "20260101T000000Z",
    }
    assert query_form.unflatten("SendMessageBatch", form) == {
        "QueueUrl": "http://h/000000000000/q",
        "Entries": [
            {
                "Id": "a",
                "MessageBody": "one",
                "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "1"}},
                "MessageSystemAttributes": {"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1"}},
            },
            {"Id": "b", "MessageBody": "two", "DelaySeconds": "5"},
        ],
    }


def test_unflatten_lists_and_maps():
    form = {"AWSAccountId.1": "111122223333", "AWSAccountId.2": "444455556666", "ActionName.1": "SendMessage",
            "Label": "l", "QueueUrl": "u"}  # fmt: skip
    assert query_form.unflatten("AddPermission", form) == {
        "QueueUrl": "u", "Label": "l", "AWSAccountIds": ["111122223333", "444455556666"], "Actions": ["SendMessage"],
    }  # fmt: skip
    form = {"QueueName": "q", "Attribute.1.Name": "DelaySeconds", "Attribute.1.Value": "", "Tag.1.Key": "team",
            "Tag.1.Value": "core"}  # fmt: skip
    assert query_form.unflatten("CreateQueue", form) == {
        "QueueName": "q", "Attributes": {"DelaySeconds": ""}, "tags": {"team": "core"},
    }  # fmt: skip
    assert query_form.unflatten("UntagQueue", {"TagKey.1": "a", "TagKey.2": "b"}) == {"TagKeys": ["a", "b"]}
    form = {"MessageSystemAttributeName.1": "SenderId", "MessageAttributeName.1": "All"}
    assert query_form.unflatten("ReceiveMessage", form) == {
        "MessageSystemAttributeNames": ["SenderId"], "MessageAttributeNames": ["All"],
    }  # fmt: skip
