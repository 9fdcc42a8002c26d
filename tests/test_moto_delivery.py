"""moto's SNS, EventBridge and S3 deliver into cloudtwin's queues, in the caller's account."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from botocore.exceptions import ClientError


def client(service: str, endpoint: str, access_key: str = "test"):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=access_key,
        aws_secret_access_key="test",
    )


def make_queue(sqs, name: str, **attributes: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive_all(sqs, url: str, expected: int) -> list[dict]:
    messages: list[dict] = []
    while len(messages) < expected:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not batch:
            break
        messages += batch
    return messages


@pytest.fixture
def sqs(aws_endpoint_url):
    return client("sqs", aws_endpoint_url)


@pytest.fixture
def sns(aws_endpoint_url):
    return client("sns", aws_endpoint_url)


def test_sns_delivers_its_envelope_to_a_subscribed_queue(sns, sqs) -> None:
    url, arn = make_queue(sqs, "fanout-envelope")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    published = sns.publish(
        TopicArn=topic,
        Message="order 1",
        Subject="new",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "a"}},
    )
    [message] = receive_all(sqs, url, 1)
    envelope = json.loads(message["Body"])
    assert envelope["Type"] == "Notification"
    assert envelope["Message"] == "order 1"
    assert envelope["MessageId"] == published["MessageId"]
    assert envelope["TopicArn"] == topic
    assert envelope["MessageAttributes"]["kind"] == {"Type": "String", "Value": "a"}
    # One account across services: the topic and the queue it feeds belong to the same one.
    assert topic.split(":")[4] == arn.split(":")[4]


def test_raw_delivery_and_filter_policies(sns, sqs) -> None:
    url, arn = make_queue(sqs, "fanout-raw")
    topic = sns.create_topic(Name="raw-events")["TopicArn"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true", "FilterPolicy": json.dumps({"kind": ["keep"]})},
    )
    sns.publish(
        TopicArn=topic, Message="dropped", MessageAttributes={"kind": {"DataType": "String", "StringValue": "skip"}}
    )
    sns.publish(
        TopicArn=topic,
        Message="kept",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "keep"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    [message] = receive_all(sqs, url, 2)
    assert message["Body"] == "kept"
    assert message["MessageAttributes"]["kind"] == {"DataType": "String", "StringValue": "keep"}
    assert message["MessageAttributes"]["blob"] == {"DataType": "Binary", "BinaryValue": b"\x00\x01"}


def test_fifo_topic_keeps_group_order_in_a_fifo_queue(sns, sqs) -> None:
    url, arn = make_queue(sqs, "fanout.fifo", FifoQueue="true")
    topic = sns.create_topic(Name="ledger.fifo", Attributes={"FifoTopic": "true"})["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    for number in range(3):
        sns.publish(
            TopicArn=topic, Message=f"entry {number}", MessageGroupId="account-7", MessageDeduplicationId=f"d{number}"
        )
    sns.publish(TopicArn=topic, Message="entry 0", MessageGroupId="account-7", MessageDeduplicationId="d0")
    messages = receive_all(sqs, url, 3)
    assert [m["Body"] for m in messages] == ["entry 0", "entry 1", "entry 2"]
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"account-7"}


def test_a_fifo_queue_cannot_subscribe_to_a_standard_topic(sns, sqs) -> None:
    _, arn = make_queue(sqs, "refused.fifo", FifoQueue="true")
    topic = sns.create_topic(Name="plain")["TopicArn"]
    with pytest.raises(ClientError) as refused:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    assert refused.value.response["Error"]["Code"] == "InvalidParameter"


def test_publishing_to_a_deleted_queue_still_succeeds(sns, sqs) -> None:
    url, arn = make_queue(sqs, "gone-soon")
    topic = sns.create_topic(Name="outlives-its-queue")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sqs.delete_queue(QueueUrl=url)
    assert sns.publish(TopicArn=topic, Message="into the void")["MessageId"]


def test_eventbridge_rule_targets_a_queue(aws_endpoint_url, sqs) -> None:
    events = client("events", aws_endpoint_url)
    url, arn = make_queue(sqs, "rule-target")
    events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders", Targets=[{"Id": "queue", "Arn": arn}])
    events.put_events(Entries=[{"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"id": 7})}])
    events.put_events(Entries=[{"Source": "elsewhere", "DetailType": "Ignored", "Detail": "{}"}])
    [message] = receive_all(sqs, url, 2)
    event = json.loads(message["Body"])
    assert (event["source"], event["detail-type"], event["detail"]) == ("shop", "OrderPlaced", {"id": 7})


def test_s3_notifications_reach_a_queue(aws_endpoint_url, sqs) -> None:
    s3 = client("s3", aws_endpoint_url)
    url, arn = make_queue(sqs, "uploads")
    s3.create_bucket(Bucket="notified-bucket")
    s3.put_bucket_notification_configuration(
        Bucket="notified-bucket",
        NotificationConfiguration={"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]},
    )
    s3.put_object(Bucket="notified-bucket", Key="report.csv", Body=b"a,b")
    bodies = [json.loads(m["Body"]) for m in receive_all(sqs, url, 2)]
    records = [record for body in bodies for record in body.get("Records", [])]
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in records] == [("ObjectCreated:Put", "report.csv")]


def test_a_twelve_digit_access_key_is_the_account_for_moto_too(aws_endpoint_url) -> None:
    sqs = client("sqs", aws_endpoint_url, access_key="111122223333")
    sns = client("sns", aws_endpoint_url, access_key="111122223333")
    url, arn = make_queue(sqs, "own-account")
    topic = sns.create_topic(Name="own-account")["TopicArn"]
    assert topic.split(":")[4] == arn.split(":")[4] == "111122223333"
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="mine")
    assert json.loads(receive_all(sqs, url, 1)[0]["Body"])["Message"] == "mine"


def test_moto_keeps_its_own_sqs_and_gets_everything_back_when_the_last_emulator_stops() -> None:
    # In a fresh interpreter: this one's session emulator keeps the bridge installed.
    script = """
from moto.sns.models import Subscription
from moto.sqs.models import SQSBackend, sqs_backends
from cloudtwin.clock import Clock
from cloudtwin.http import moto_sqs_bridge
from cloudtwin.sqs.backend import SqsBackend
originals = (SQSBackend.__dict__["send_message"], Subscription.__dict__["publish"])
first, second = SqsBackend(Clock()), SqsBackend(Clock())
moto_sqs_bridge.install(first)
moto_sqs_bridge.install(second)
# moto's own SQS (mock_aws) is not redirected: only deliveries from SNS, EventBridge and S3 are.
own = sqs_backends["123456789012"]["us-east-1"]
own.create_queue("mocked")
own.send_message("mocked", "still moto's")
assert [m.body for m in own.get_queue("mocked").messages] == ["still moto's"]
moto_sqs_bridge.uninstall(second)
assert SQSBackend.__dict__["send_message"] is not originals[0]
moto_sqs_bridge.uninstall(first)
assert (SQSBackend.__dict__["send_message"], Subscription.__dict__["publish"]) == originals
print("restored")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "restored", result.stderr
