"""SQS delivery contracts that hold for every input: no loss, FIFO order, visibility, dedup, redrive."""

from __future__ import annotations

import json
from collections import defaultdict

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_tests.conftest import drain

CONTRACT = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
BODIES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff", min_codepoint=9),
    min_size=1,
    max_size=40,
).filter(lambda body: all(c in "\t\n\r" or ord(c) >= 0x20 for c in body))


@CONTRACT
@given(bodies=st.lists(BODIES, min_size=1, max_size=25))
def test_standard_queue_loses_nothing(sqs_client, make_queue, bodies):
    url = make_queue()
    for start in range(0, len(bodies), 10):
        chunk = bodies[start : start + 10]
        sqs_client.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
        )
    received = [m["Body"] for m in drain(sqs_client, url)]
    # At-least-once: every body arrives; AWS may repeat one, so compare as sets.
    assert set(received) == set(bodies)


@CONTRACT
@given(sends=st.lists(st.tuples(st.sampled_from("abc"), BODIES), min_size=1, max_size=25))
def test_fifo_keeps_order_within_each_group(sqs_client, make_queue, sends):
    url = make_queue(fifo=True)
    expected = defaultdict(list)
    for index, (group, body) in enumerate(sends):
        sqs_client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=str(index))
        expected[group].append(body)
    seen = defaultdict(list)
    for message in drain(sqs_client, url):
        seen[message["Attributes"]["MessageGroupId"]].append(message["Body"])
    assert dict(seen) == dict(expected)


@CONTRACT
@given(copies=st.integers(2, 5), body=BODIES)
def test_fifo_deduplicates_within_the_window(sqs_client, make_queue, copies, body):
    url = make_queue(fifo=True)
    ids = {
        sqs_client.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId="same")[
            "MessageId"
        ]
        for _ in range(copies)
    }
    assert len(ids) == 1
    assert [m["Body"] for m in drain(sqs_client, url)] == [body]


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(timeout=st.integers(2, 5))
def test_visibility_timeout_hides_then_returns(sqs_client, make_queue, target_time, timeout):
    url = make_queue()
    sqs_client.send_message(QueueUrl=url, MessageBody="once")
    first = sqs_client.receive_message(QueueUrl=url, VisibilityTimeout=timeout)["Messages"][0]
    assert "Messages" not in sqs_client.receive_message(QueueUrl=url)
    target_time.advance(timeout + 1)
    again = sqs_client.receive_message(QueueUrl=url, WaitTimeSeconds=5, AttributeNames=["ApproximateReceiveCount"])
    [message] = again["Messages"]
    assert message["MessageId"] == first["MessageId"]
    assert message["ReceiptHandle"] != first["ReceiptHandle"]
    assert int(message["Attributes"]["ApproximateReceiveCount"]) >= 2


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(max_receives=st.integers(1, 3))
def test_redrive_after_max_receive_count(sqs_client, make_queue, target_time, max_receives):
    dead_letters = make_queue()
    dlq_arn = sqs_client.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    source = make_queue(RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives}))
    sqs_client.send_message(QueueUrl=source, MessageBody="poison")
    for _ in range(max_receives):
        assert sqs_client.receive_message(QueueUrl=source, VisibilityTimeout=1, WaitTimeSeconds=5)["Messages"]
        target_time.advance(2)
    sqs_client.receive_message(QueueUrl=source, WaitTimeSeconds=1)
    moved = sqs_client.receive_message(QueueUrl=dead_letters, WaitTimeSeconds=5)
    assert [m["Body"] for m in moved["Messages"]] == ["poison"]
