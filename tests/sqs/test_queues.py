"""Queue management: names, attributes, idempotent creation, listing, tags, permissions, regions."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from cloudtwin.contract_tests.sqs.query_client import QueryClient
from tests.sqs.conftest import make_json_client


def error_code(excinfo) -> str:
    return excinfo.value.response["Error"]["Code"]


def test_create_get_delete(sqs):
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/000000000000/{name}")
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as excinfo:
        sqs.get_queue_url(QueueName=name)
    assert error_code(excinfo) == "AWS.SimpleQueueService.NonExistentQueue"


def test_default_attributes(sqs, new_queue):
    attributes = sqs.get_queue_attributes(QueueUrl=new_queue(), AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["DelaySeconds"] == "0"
    assert attributes["MessageRetentionPeriod"] == "345600"
    assert attributes["MaximumMessageSize"] == "1048576"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert attributes["QueueArn"].startswith("arn:aws:sqs:us-east-1:000000000000:t-")
    assert attributes["CreatedTimestamp"].isdigit() and len(attributes["CreatedTimestamp"]) == 10
    assert "FifoQueue" not in attributes and "ContentBasedDeduplication" not in attributes


def test_fifo_attributes(sqs, new_queue):
    url = new_queue(fifo=True, ContentBasedDeduplication="true")
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"


def test_selected_attributes_only(sqs, new_queue):
    url = new_queue()
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "QueueArn"])
    assert set(attributes["Attributes"]) == {"VisibilityTimeout", "QueueArn"}


def test_create_is_idempotent_for_equal_attributes(sqs):
    name = f"q-{uuid.uuid4().hex[:8]}"
    first = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})["QueueUrl"]
    assert sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "40"})["QueueUrl"] == first
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == first
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "41"})
    assert error_code(excinfo) == "QueueAlreadyExists"
    sqs.delete_queue(QueueUrl=first)


# "ends\n": a regex anchored with $ also matches before a final newline, so such names were once taken.
@pytest.mark.parametrize("name", ["", "a" * 81, "has space", "dot.name", "bad!", "x.fifo", "ends\n"])
def test_invalid_standard_names(sqs, name):
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=name)
    assert error_code(excinfo) in ("InvalidParameterValue", "MissingParameter")


@pytest.mark.parametrize("name", ["nofifosuffix", "a" * 76 + ".fifo", "bad!.fifo", "ends.fifo\n"])
def test_invalid_fifo_names(sqs, name):
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})
    assert error_code(excinfo) == "InvalidParameterValue"


def test_longest_names_are_accepted(sqs):
    for name, attributes in (("a" * 80, {}), ("b" * 75 + ".fifo", {"FifoQueue": "true"})):
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("VisibilityTimeout", "43201"),
        ("VisibilityTimeout", "-1"),
        ("DelaySeconds", "901"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "ten"),
        ("KmsDataKeyReusePeriodSeconds", "59"),
        ("SqsManagedSseEnabled", "maybe"),
    ],
)
def test_out_of_range_attributes(sqs, attribute, value):
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes={attribute: value})
    assert error_code(excinfo) == "InvalidAttributeValue"


@pytest.mark.parametrize(
    "attribute", ["Colour", "QueueArn", "ApproximateNumberOfMessages", "ContentBasedDeduplication"]
)
def test_unknown_or_read_only_attributes_on_standard_queue(sqs, attribute):
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}", Attributes={attribute: "1"})
    assert error_code(excinfo) == "InvalidAttributeName"


def test_set_attributes(sqs, new_queue):
    url = new_queue()
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "5", "DelaySeconds": "3"})
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert (attributes["VisibilityTimeout"], attributes["DelaySeconds"]) == ("5", "3")
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    assert error_code(excinfo) == "InvalidAttributeName"


def test_kms_and_policy_attributes_are_stored_and_echoed(sqs, new_queue):
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    url = new_queue(KmsMasterKeyId="alias/aws/sqs", KmsDataKeyReusePeriodSeconds="600", Policy=policy)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["KmsMasterKeyId"] == "alias/aws/sqs"
    assert attributes["KmsDataKeyReusePeriodSeconds"] == "600"
    assert json.loads(attributes["Policy"]) == json.loads(policy)
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": "{not json"})
    assert error_code(excinfo) == "InvalidAttributeValue"


def test_unknown_attribute_name_on_get(sqs, new_queue):
    with pytest.raises(ClientError) as excinfo:
        sqs.get_queue_attributes(QueueUrl=new_queue(), AttributeNames=["Colour"])
    assert error_code(excinfo) == "InvalidAttributeName"


def test_list_queues_prefix_and_pagination(sqs):
    prefix = f"lst-{uuid.uuid4().hex[:6]}-"
    urls = [sqs.create_queue(QueueName=f"{prefix}{i}")["QueueUrl"] for i in range(5)]
    listed = sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]
    assert sorted(listed) == sorted(urls)
    page1 = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    page2 = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=page1["NextToken"])
    page3 = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=page2["NextToken"])
    assert len(page1["QueueUrls"]) == len(page2["QueueUrls"]) == 2 and len(page3["QueueUrls"]) == 1
    assert "NextToken" not in page3
    assert sorted(page1["QueueUrls"] + page2["QueueUrls"] + page3["QueueUrls"]) == sorted(urls)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix=prefix + "none")
    for url in urls:
        sqs.delete_queue(QueueUrl=url)


def test_unknown_queue_url(sqs, new_queue):
    url = new_queue()
    missing = url.rsplit("/", 1)[0] + "/does-not-exist"
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=missing, MessageBody="x")
    assert error_code(excinfo) == "AWS.SimpleQueueService.NonExistentQueue"


def test_aws_style_queue_url_reaches_the_queue(sqs, new_queue, aws_endpoint_url):
    url = new_queue()
    name = url.rsplit("/", 1)[1]
    aws_style = f"{aws_endpoint_url}/000000000000/{name}"
    sqs.send_message(QueueUrl=aws_style, MessageBody="via aws url")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "via aws url"


def test_regions_and_accounts_are_separate(aws_endpoint_url):
    name = f"q-{uuid.uuid4().hex[:8]}"
    east = make_json_client(aws_endpoint_url, "us-east-1")
    west = make_json_client(aws_endpoint_url, "eu-west-1")
    other_account = make_json_client(aws_endpoint_url, "us-east-1", access_key="123456789012")
    east_url = east.create_queue(QueueName=name)["QueueUrl"]
    west_url = west.create_queue(QueueName=name)["QueueUrl"]
    other_url = other_account.create_queue(QueueName=name)["QueueUrl"]
    assert len({east_url, west_url, other_url}) == 3
    assert "/eu-west-1/" in west_url and "/123456789012/" in other_url
    east.send_message(QueueUrl=east_url, MessageBody="east")
    # As in AWS, a client of another region does not find the queue behind a URL of this one.
    with pytest.raises(ClientError) as excinfo:
        west.receive_message(QueueUrl=east_url)
    assert error_code(excinfo) == "AWS.SimpleQueueService.NonExistentQueue"
    assert "Messages" not in west.receive_message(QueueUrl=west_url)
    assert east.receive_message(QueueUrl=east_url)["Messages"][0]["Body"] == "east"
    other_arn = other_account.get_queue_attributes(QueueUrl=other_url, AttributeNames=["QueueArn"])
    assert other_arn["Attributes"]["QueueArn"] == f"arn:aws:sqs:us-east-1:123456789012:{name}"
    assert east.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="123456789012")["QueueUrl"] == other_url
    for client, url in ((east, east_url), (west, west_url), (other_account, other_url)):
        client.delete_queue(QueueUrl=url)


def test_tags(sqs):
    name = f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, tags={"team": "a"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "test", "team": "b"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "b", "env": "test"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "test"}
    with pytest.raises(ClientError) as excinfo:
        sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    assert error_code(excinfo) == "InvalidParameterValue"
    sqs.delete_queue(QueueUrl=url)


def test_permissions(sqs, new_queue):
    url = new_queue()
    sqs.add_permission(QueueUrl=url, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    statement = policy["Statement"][0]
    assert statement["Sid"] == "send" and statement["Action"] == "SQS:SendMessage"
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    with pytest.raises(ClientError) as excinfo:
        sqs.add_permission(QueueUrl=url, Label="send", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    assert error_code(excinfo) == "InvalidParameterValue"
    sqs.remove_permission(QueueUrl=url, Label="send")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    with pytest.raises(ClientError) as excinfo:
        sqs.remove_permission(QueueUrl=url, Label="send")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_purge(sqs, new_queue, clock):
    url = new_queue()
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.send_message(QueueUrl=url, MessageBody="b")
    sqs.receive_message(QueueUrl=url)
    sqs.purge_queue(QueueUrl=url)
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == counts["ApproximateNumberOfMessagesNotVisible"] == "0"
    with pytest.raises(ClientError) as excinfo:
        sqs.purge_queue(QueueUrl=url)
    assert error_code(excinfo) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    clock.advance(60)
    sqs.purge_queue(QueueUrl=url)


@pytest.mark.parametrize("wire", ["json", "query"])
def test_same_name_in_two_regions_and_urls_across_regions(aws_endpoint_url, wire):
    """Each region has its own queue of a name; a URL of one region used by a client of another is
    not found there, as AWS answers (`AWS.SimpleQueueService.NonExistentQueue`)."""
    name = f"q-{uuid.uuid4().hex[:8]}"
    if wire == "json":
        west, north = make_json_client(aws_endpoint_url, "us-west-1"), make_json_client(aws_endpoint_url, "eu-north-1")
    else:
        west, north = QueryClient(aws_endpoint_url, "us-west-1"), QueryClient(aws_endpoint_url, "eu-north-1")
    west_url = west.create_queue(QueueName=name)["QueueUrl"]
    north_url = north.create_queue(QueueName=name)["QueueUrl"]
    assert west_url != north_url
    assert west.get_queue_url(QueueName=name)["QueueUrl"] == west_url
    assert north.get_queue_url(QueueName=name)["QueueUrl"] == north_url
    west.send_message(QueueUrl=west_url, MessageBody="foobar")
    assert "Messages" not in north.receive_message(QueueUrl=north_url, VisibilityTimeout=0)
    with pytest.raises(ClientError) as excinfo:
        north.receive_message(QueueUrl=west_url)
    assert error_code(excinfo) == "AWS.SimpleQueueService.NonExistentQueue"
    assert west.receive_message(QueueUrl=west_url, VisibilityTimeout=0)["Messages"][0]["Body"] == "foobar"
    assert west_url in west.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    assert west_url not in north.list_queues(QueueNamePrefix=name).get("QueueUrls", [])
    west.delete_queue(QueueUrl=west_url)
    north.delete_queue(QueueUrl=north_url)
