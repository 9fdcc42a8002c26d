"""A real SDK on the Query wire: botocore's own Query serializer and XML parser.

botocore ships SQS's model for the JSON protocol only. Its Query form differs in protocol
metadata and serialization names, which are set here, on a copy of the installed model, from
the names of SQS's Query model (`Attribute` for queue attribute maps, `AttributeName` for their
names, lists named after their items, …). botocore then builds and parses every request itself.
"""

from __future__ import annotations

import copy
import json
import uuid

import boto3
import botocore.session
import pytest
from botocore.exceptions import ClientError
from botocore.loaders import Loader

# Query name of one item of each list shape whose items are not structures (those are named
# after their shape), and of each map shape's entries and keys.
_LIST_ITEMS = {
    "AWSAccountIdList": "AWSAccountId",
    "ActionNameList": "ActionName",
    "AttributeNameList": "AttributeName",
    "MessageAttributeNameList": "MessageAttributeName",
    "MessageSystemAttributeList": "MessageSystemAttributeName",
    "QueueUrlList": "QueueUrl",
    "TagKeyList": "TagKey",
    "StringList": "StringListValue",
    "BinaryList": "BinaryListValue",
}
_MAP_ENTRIES = {
    "QueueAttributeMap": ("Attribute", "Name"),
    "MessageSystemAttributeMap": ("Attribute", "Name"),
    "TagMap": ("Tag", "Key"),
    "MessageBodyAttributeMap": ("MessageAttribute", "Name"),
    "MessageBodySystemAttributeMap": ("MessageSystemAttribute", "Name"),
}


def query_model() -> dict:
    model = copy.deepcopy(Loader().load_service_model("sqs", "service-2"))
    metadata = model["metadata"]
    metadata.pop("awsQueryCompatible", None)
    metadata.update(protocol="query", protocols=["query"], xmlNamespace="http://queue.amazonaws.com/doc/2012-11-05/")
    for name, operation in model["operations"].items():
        if "output" in operation:
            operation["output"]["resultWrapper"] = f"{name}Result"
    shapes = model["shapes"]
    for name, shape in shapes.items():
        if shape["type"] == "list":
            item = shape["member"]["shape"]
            shape["member"]["locationName"] = item if shapes[item]["type"] == "structure" else _LIST_ITEMS[name]
        elif shape["type"] == "map":
            entry, key = _MAP_ENTRIES[name]
            shape.update(locationName=entry)
            shape["key"]["locationName"], shape["value"]["locationName"] = key, "Value"
        elif shape["type"] == "structure":
            for member in shape["members"].values():
                if member["shape"] in ("StringList", "BinaryList"):
                    member.update(flattened=True, locationName=_LIST_ITEMS[member["shape"]])
    return model


@pytest.fixture(scope="module")
def botocore_query(aws_endpoint_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("models")
    (data / "sqs" / "2012-11-05").mkdir(parents=True)
    (data / "sqs" / "2012-11-05" / "service-2.json").write_text(json.dumps(query_model()))
    session = botocore.session.Session()
    session.get_component("data_loader").search_paths.insert(0, str(data))
    client = boto3.Session(botocore_session=session).client(
        "sqs", endpoint_url=aws_endpoint_url, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
    )  # fmt: skip
    assert client.meta.service_model.protocol == "query"
    return client


@pytest.fixture
def queue(botocore_query):
    url = botocore_query.create_queue(
        QueueName=f"botocore-{uuid.uuid4().hex[:12]}", Attributes={"VisibilityTimeout": "40"}, tags={"team": "core"}
    )["QueueUrl"]
    yield url
    botocore_query.delete_queue(QueueUrl=url)


def test_queue_attributes_and_tags(botocore_query, queue):
    attributes = botocore_query.get_queue_attributes(QueueUrl=queue, AttributeNames=["VisibilityTimeout", "QueueArn"])
    assert attributes["Attributes"]["VisibilityTimeout"] == "40"
    assert attributes["Attributes"]["QueueArn"].endswith(queue.rsplit("/", 1)[1])
    botocore_query.tag_queue(QueueUrl=queue, Tags={"stage": "test"})
    botocore_query.untag_queue(QueueUrl=queue, TagKeys=["team"])
    assert botocore_query.list_queue_tags(QueueUrl=queue)["Tags"] == {"stage": "test"}
    assert queue in botocore_query.list_queues(QueueNamePrefix="botocore-")["QueueUrls"]


def test_messages_with_attributes(botocore_query, queue):
    body = 'line\r\n<markup> & "quotes"'
    sent = botocore_query.send_message(
        QueueUrl=queue, MessageBody=body,
        MessageAttributes={"text": {"DataType": "String", "StringValue": "v"},
                           "bytes": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}},
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}},
    )  # fmt: skip
    (message,) = botocore_query.receive_message(
        QueueUrl=queue, MessageAttributeNames=["All"], MessageSystemAttributeNames=["AWSTraceHeader", "SenderId"]
    )["Messages"]
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == body and message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"] == {
        "text": {"DataType": "String", "StringValue": "v"},
        "bytes": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
    }
    assert message["Attributes"] == {"AWSTraceHeader": "Root=1-abc", "SenderId": "000000000000"}
    botocore_query.change_message_visibility(
        QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5
    )
    botocore_query.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])


def test_batches(botocore_query, queue):
    sent = botocore_query.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": "a", "MessageBody": "one"}, {"Id": "b", "MessageBody": "two", "DelaySeconds": 1000}],
    )
    assert [entry["Id"] for entry in sent["Successful"]] == ["a"]
    assert sent["Failed"][0]["Id"] == "b" and sent["Failed"][0]["SenderFault"] is True
    (message,) = botocore_query.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    changed = botocore_query.change_message_visibility_batch(
        QueueUrl=queue, Entries=[{"Id": "x", "ReceiptHandle": message["ReceiptHandle"], "VisibilityTimeout": 3}]
    )
    assert [entry["Id"] for entry in changed["Successful"]] == ["x"]
    deleted = botocore_query.delete_message_batch(
        QueueUrl=queue, Entries=[{"Id": "y", "ReceiptHandle": message["ReceiptHandle"]}]
    )
    assert [entry["Id"] for entry in deleted["Successful"]] == ["y"]


def test_errors(botocore_query):
    with pytest.raises(ClientError) as caught:
        botocore_query.get_queue_url(QueueName=f"missing-{uuid.uuid4().hex}")
    error = caught.value.response["Error"]
    assert (error["Code"], error["Type"]) == ("AWS.SimpleQueueService.NonExistentQueue", "Sender")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
