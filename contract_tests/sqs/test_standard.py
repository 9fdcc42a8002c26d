"""SQS standard queues: at-least-once, visibility, receive counts, deletes, redrive, delays, purge, long polls,
batches."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from cloudtwin.contract_tests.sqs.strategies import BODIES, HELD

from .conftest import SqsSide


@dataclass
class ModelMessage:
    body: str
    receives: int = 0
    handle: str | None = None  # set while in flight
    deleted: bool = False


class StandardQueueMachine(RuleBasedStateMachine):
    """Sends, receives, deletes and releases against a model; time never moves, so it holds on any target."""

    def __init__(self, side: SqsSide) -> None:
        super().__init__()
        self.side = side
        self.sent: dict[str, ModelMessage] = {}  # by MessageId

    @initialize()
    def create(self) -> None:
        self.url = self.side.queue(VisibilityTimeout=HELD)

    @rule(bodies=st.lists(BODIES, min_size=1, max_size=10), batch=st.booleans())
    def send(self, bodies: list[str], batch: bool) -> None:
        if batch:
            answer = self.side.client.send_message_batch(
                QueueUrl=self.url, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
            )
            assert not answer.get("Failed")
            ids = [entry["MessageId"] for entry in sorted(answer["Successful"], key=lambda e: int(e["Id"]))]
        else:
            ids = [self.side.client.send_message(QueueUrl=self.url, MessageBody=body)["MessageId"] for body in bodies]
        for message_id, body in zip(ids, bodies, strict=True):
            self.sent[message_id] = ModelMessage(body)

    @rule(limit=st.integers(1, 10))
    def receive(self, limit: int) -> None:
        for message in self.side.receive(self.url, MaxNumberOfMessages=limit):
            model = self.sent[message["MessageId"]]
            assert not model.deleted, f"deleted message {message['MessageId']} came back"
            assert model.handle is None, f"message {message['MessageId']} came back while invisible"
            assert message["Body"] == model.body
            model.receives += 1
            assert int(message["Attributes"]["ApproximateReceiveCount"]) == model.receives
            model.handle = message["ReceiptHandle"]

    def in_flight(self) -> list[ModelMessage]:
        return [m for m in self.sent.values() if m.handle is not None]

    @precondition(lambda self: self.in_flight())
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        model = data.draw(st.sampled_from(self.in_flight()))
        self.side.client.delete_message(QueueUrl=self.url, ReceiptHandle=model.handle)
        model.deleted, model.handle = True, None

    @precondition(lambda self: self.in_flight())
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        model = data.draw(st.sampled_from(self.in_flight()))
        self.side.client.change_message_visibility(QueueUrl=self.url, ReceiptHandle=model.handle, VisibilityTimeout=0)
        model.handle = None

    def teardown(self) -> None:
        if not hasattr(self, "url"):
            return
        for model in self.in_flight():
            self.side.client.change_message_visibility(
                QueueUrl=self.url, ReceiptHandle=model.handle, VisibilityTimeout=0
            )
        if self.side.target.moves_time:  # whatever is still invisible shows itself; a real queue would take 10 min
            self.side.time.advance(HELD + 1)
        # At-least-once: every undeleted message comes back, and no deleted one does.
        back = {m["MessageId"] for m in self.side.drain(self.url)}
        assert back == {message_id for message_id, m in self.sent.items() if not m.deleted}


def test_at_least_once_visibility_receive_counts_and_deletes(contract, sqs_target: SqsSide) -> None:
    contract.check_machine(sqs_target.target, lambda: StandardQueueMachine(sqs_target), examples=10, steps=12)


def test_visibility_timeout_hides_until_it_ends(contract, sqs_target: SqsSide) -> None:
    longest = 43200 if sqs_target.target.moves_time else 3

    def visibility(timeout: int) -> None:
        url = sqs_target.queue()
        sent = sqs_target.client.send_message(QueueUrl=url, MessageBody="once")["MessageId"]
        [first] = sqs_target.receive(url, wait=sqs_target.wait, VisibilityTimeout=timeout)
        assert first["MessageId"] == sent
        sqs_target.time.advance(timeout - 1)
        assert sqs_target.receive(url) == [], f"visible again {timeout - 1} s into a {timeout} s timeout"
        sqs_target.time.advance(1.5)
        [again] = sqs_target.receive(url, wait=sqs_target.wait)
        assert again["MessageId"] == sent and again["ReceiptHandle"] != first["ReceiptHandle"]
        assert int(again["Attributes"]["ApproximateReceiveCount"]) == 2

    contract.check(sqs_target.target, visibility, examples=6, timed=True, timeout=st.integers(2, longest))


def test_dead_letter_queue_gets_it_once_after_max_receive_count(contract, sqs_target: SqsSide) -> None:
    def redrive(max_receives: int, bodies: list[str]) -> None:
        dead_letters = sqs_target.queue()
        policy = {"deadLetterTargetArn": sqs_target.arn(dead_letters), "maxReceiveCount": max_receives}
        source = sqs_target.queue(RedrivePolicy=json.dumps(policy))
        for body in bodies:
            sqs_target.client.send_message(QueueUrl=source, MessageBody=body)
        receives = {}
        while sum(receives.values()) < max_receives * len(bodies):
            # VisibilityTimeout 0: each receive ends at once, so no time needs to pass.
            messages = sqs_target.receive(source, wait=sqs_target.wait, VisibilityTimeout=0)
            assert messages, f"the source ran dry after {receives} receives of {max_receives} each"
            for message in messages:
                receives[message["Body"]] = receives.get(message["Body"], 0) + 1
                assert receives[message["Body"]] <= max_receives, "received more than maxReceiveCount times"
        assert sqs_target.receive(source) == []  # this receive moves them
        moved = [m["Body"] for m in sqs_target.drain(dead_letters)]
        assert sorted(moved) == sorted(bodies)
        assert sqs_target.drain(source) == []

    contract.check(
        sqs_target.target,
        redrive,
        examples=6,
        max_receives=st.integers(1, 4),
        bodies=st.lists(st.text("abcdef", min_size=1, max_size=8), min_size=1, max_size=3, unique=True),
    )


def test_queue_and_message_delays_hold_messages_back(contract, sqs_target: SqsSide) -> None:
    longest = 900 if sqs_target.target.moves_time else 3

    def delays(queue_delay: int, message_delay: int | None) -> None:
        url = sqs_target.queue(DelaySeconds=queue_delay)
        extra = {} if message_delay is None else {"DelaySeconds": message_delay}
        sqs_target.client.send_message(QueueUrl=url, MessageBody="later", **extra)
        delay = queue_delay if message_delay is None else message_delay  # a message's own delay wins
        if delay:
            sqs_target.time.advance(delay - 1)
            assert sqs_target.receive(url) == [], f"received {delay - 1} s into a {delay} s delay"
            sqs_target.time.advance(1.5)
        assert [m["Body"] for m in sqs_target.receive(url, wait=sqs_target.wait)] == ["later"]

    contract.check(
        sqs_target.target,
        delays,
        examples=6,
        timed=True,
        queue_delay=st.integers(0, longest),
        message_delay=st.none() | st.integers(0, longest),
    )


def test_purge_removes_what_was_there_before_it(contract, sqs_target: SqsSide) -> None:
    def purge(before: list[str], after: list[str]) -> None:
        url = sqs_target.queue()
        for body in before:
            sqs_target.client.send_message(QueueUrl=url, MessageBody=body)
        if before:
            sqs_target.receive(url, VisibilityTimeout=HELD)  # an in-flight message goes too
        sqs_target.client.purge_queue(QueueUrl=url)
        # AWS takes up to 60 s to purge and may delete what is sent meanwhile.
        sqs_target.time.advance(60)
        for body in after:
            sqs_target.client.send_message(QueueUrl=url, MessageBody=body)
        assert sorted(m["Body"] for m in sqs_target.drain(url)) == sorted(after)

    words = st.lists(st.text("xyz", min_size=1, max_size=5), max_size=5)
    contract.check(sqs_target.target, purge, examples=5, timed=True, before=words, after=words)


def test_long_poll_returns_as_soon_as_a_message_is_sent(contract, sqs_target: SqsSide) -> None:
    wait = 20

    def long_poll(body: str) -> None:
        url = sqs_target.queue()
        received: list[dict] = []
        poll = threading.Thread(target=lambda: received.extend(sqs_target.receive(url, wait=wait)))
        started = time.monotonic()
        poll.start()
        poll.join(0.3)  # let the poll start waiting (a frozen twin's poll waits until a message comes)
        sqs_target.client.send_message(QueueUrl=url, MessageBody=body)
        poll.join(wait + 10)
        assert not poll.is_alive(), "the long poll did not return"
        assert [m["Body"] for m in received] == [body]
        assert time.monotonic() - started < wait, "the poll waited out its WaitTimeSeconds despite the message"

    contract.check(sqs_target.target, long_poll, examples=2, body=BODIES)


def test_a_batch_behaves_as_its_single_calls(contract, sqs_target: SqsSide) -> None:
    def batch_versus_singles(bodies: list[str]) -> None:
        batched, single = sqs_target.queue(), sqs_target.queue()
        answer = sqs_target.client.send_message_batch(
            QueueUrl=batched, Entries=[{"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)]
        )
        assert not answer.get("Failed") and len(answer["Successful"]) == len(bodies)
        batch_digests = sorted(entry["MD5OfMessageBody"] for entry in answer["Successful"])
        single_digests = sorted(
            sqs_target.client.send_message(QueueUrl=single, MessageBody=body)["MD5OfMessageBody"] for body in bodies
        )
        assert batch_digests == single_digests == sorted(hashlib.md5(b.encode()).hexdigest() for b in bodies)
        from_batch = sorted((m["Body"], m["MD5OfBody"]) for m in sqs_target.drain(batched))
        from_singles = sorted((m["Body"], m["MD5OfBody"]) for m in sqs_target.drain(single))
        assert from_batch == from_singles
        assert sorted(body for body, _ in from_batch) == sorted(bodies)

    bodies = st.lists(BODIES, min_size=1, max_size=10)
    contract.check(sqs_target.target, batch_versus_singles, examples=8, bodies=bodies)
