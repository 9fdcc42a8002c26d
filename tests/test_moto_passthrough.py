"""Every AWS service but SQS goes to moto, unchanged, on the same endpoint."""

from __future__ import annotations

import boto3


def client(service: str, endpoint: str):
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def test_s3_round_trip(aws_endpoint_url):
    s3 = client("s3", aws_endpoint_url)
    s3.create_bucket(Bucket="passthrough-bucket")
    s3.put_object(Bucket="passthrough-bucket", Key="k", Body=b"v")
    assert s3.get_object(Bucket="passthrough-bucket", Key="k")["Body"].read() == b"v"


def test_sns_to_sqs_subscription_reaches_our_queue_arn(aws_endpoint_url, sqs_client, sqs_queue):
    sns = client("sns", aws_endpoint_url)
    topic = sns.create_topic(Name="passthrough-topic")["TopicArn"]
    queue_arn = sqs_client.get_queue_attributes(QueueUrl=sqs_queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)["SubscriptionArn"]
    assert subscription.startswith(topic)
    assert topic in [t["TopicArn"] for t in sns.list_topics()["Topics"]]


def test_moto_api_reset_clears_moto_services(aws_endpoint_url):
    import urllib.request

    s3 = client("s3", aws_endpoint_url)
    s3.create_bucket(Bucket="reset-me")
    urllib.request.urlopen(urllib.request.Request(aws_endpoint_url + "/moto-api/reset", method="POST"), timeout=10)
    assert s3.list_buckets()["Buckets"] == []
