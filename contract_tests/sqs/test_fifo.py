"""SQS FIFO queues: order and locking per group, deduplication and its scope, sequence numbers, receive retries."""

from __future__ import annotations

import uuid
from collections import defaultdict, deque

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule

from cloudtwin.contract_tests.sqs.strategies import BODIES, HELD

from .conftest import SqsSide

GROUPS = st.sampled_from("abc")


class FifoGroupMachine(RuleBasedStateMachine):
    """Per-group order and the group lock, against a model of each group's queue and what is in flight."""

    def __init__(self, side: SqsSide) -> None:
        super().__init__()
        self.side = side
        self.waiting: dict[str, deque[str]] = defaultdict(deque)  # bodies per group, oldest first
        self.in_flight: dict[str, list[tuple[str, str]]] = defaultdict(list)  # group -> [(body, receipt handle)]
        self.sent = 0

    @initialize()
    def create(self) -> None:
        self.url = self.side.queue(fifo=True, VisibilityTimeout=HELD)

    @rule(group=GROUPS, count=st.integers(1, 3))
    def send(self, group: str, count: int) -> None:
        for _ in range(count):
            self.sent += 1
            body = f"{group}{self.sent}"
            self.side.client.send_message(
                QueueUrl=self.url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
            )
            self.waiting[group].append(body)

    def servable(self) -> set[str]:
        return {g for g, bodies in self.waiting.items() if bodies and not self.in_flight[g]}

    @rule(limit=st.integers(1, 10))
    def receive(self, limit: int) -> None:
        servable = self.servable()
        messages = self.side.receive(self.url, wait=self.side.wait if servable else 0, MaxNumberOfMessages=limit)
        if servable:
            assert messages, f"nothing received while groups {sorted(servable)} had messages and none in flight"
        taken: dict[str, list[str]] = defaultdict(list)
        for message in messages:
            group = message["Attributes"]["MessageGroupId"]
            assert group in servable, f"group {group} served with a message in flight or nothing waiting"
            taken[group].append(message["Body"])
            self.in_flight[group].append((message["Body"], message["ReceiptHandle"]))
        for group, bodies in taken.items():
            head = [self.waiting[group].popleft() for _ in bodies]
            assert bodies == head, f"group {group}: received {bodies}, its oldest were {head}"

    def flying_groups(self) -> list[str]:
        return sorted(g for g, flying in self.in_flight.items() if flying)

    @precondition(lambda self: self.flying_groups())
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        group = data.draw(st.sampled_from(self.flying_groups()))
        for _, handle in self.in_flight.pop(group):
            self.side.client.delete_message(QueueUrl=self.url, ReceiptHandle=handle)

    @precondition(lambda self: self.flying_groups())
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self.release_group(data.draw(st.sampled_from(self.flying_groups())))

    def teardown(self) -> None:
        if not hasattr(self, "url"):
            return
        for group in self.flying_groups():
            self.release_group(group)
        back: dict[str, list[str]] = defaultdict(list)
        for message in self.side.drain(self.url):
            back[message["Attributes"]["MessageGroupId"]].append(message["Body"])
        assert dict(back) == {g: list(bodies) for g, bodies in self.waiting.items() if bodies}

    def release_group(self, group: str) -> None:
        flying = self.in_flight.pop(group)
        for _, handle in flying:
            self.side.client.change_message_visibility(QueueUrl=self.url, ReceiptHandle=handle, VisibilityTimeout=0)
        self.waiting[group].extendleft(reversed([body for body, _ in flying]))  # back at the head, in order


def test_per_group_order_and_group_lock(contract, sqs_target: SqsSide) -> None:
    contract.check_machine(sqs_target.target, lambda: FifoGroupMachine(sqs_target), examples=10, steps=14)


def test_duplicates_within_five_minutes_are_never_delivered_twice(contract, sqs_target: SqsSide) -> None:
    def deduplicate(copies_before: int, copies_after_delete: int, seconds_apart: int, body: str) -> None:
        url = sqs_target.queue(fifo=True)

        def send() -> str:
            return sqs_target.client.send_message(
                QueueUrl=url, MessageBody=body, MessageGroupId="g", MessageDeduplicationId="same"
            )["MessageId"]

        ids = {send() for _ in range(1 + copies_before)}
        assert len(ids) == 1, "a duplicate got a MessageId of its own"
        assert [m["Body"] for m in sqs_target.drain(url)] == [body]
        sqs_target.time.advance(seconds_apart)
        ids |= {send() for _ in range(copies_after_delete)}
        assert len(ids) == 1, "a duplicate sent after the original was deleted got a MessageId of its own"
        assert sqs_target.drain(url) == [], "a duplicate was delivered after the original was deleted"

    longest = 290 if sqs_target.target.moves_time else 2
    contract.check(
        sqs_target.target,
        deduplicate,
        examples=6,
        timed=True,
        copies_before=st.integers(0, 3),
        copies_after_delete=st.integers(1, 3),
        seconds_apart=st.integers(0, longest),
        body=BODIES,
    )


def test_deduplication_scope_queue_or_message_group(contract, sqs_target: SqsSide) -> None:
    def scope(per_group: bool, sends: list[tuple[str, str]]) -> None:
        attributes = {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
        url = sqs_target.queue(fifo=True, **(attributes if per_group else {}))
        expected: dict[tuple, str] = {}
        for index, (group, dedup) in enumerate(sends):
            body = f"{index}"
            sqs_target.client.send_message(
                QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=dedup
            )
            expected.setdefault((group, dedup) if per_group else (dedup,), body)
        assert sorted(m["Body"] for m in sqs_target.drain(url)) == sorted(expected.values())

    sends = st.lists(st.tuples(GROUPS, st.sampled_from(["d1", "d2", "d3"])), min_size=1, max_size=8)
    contract.check(sqs_target.target, scope, examples=8, per_group=st.booleans(), sends=sends)


def test_sequence_numbers_increase_within_a_group(contract, sqs_target: SqsSide) -> None:
    def sequence(groups: list[str]) -> None:
        url = sqs_target.queue(fifo=True)
        last: dict[str, int] = {}
        for index, group in enumerate(groups):
            sent = sqs_target.client.send_message(
                QueueUrl=url, MessageBody=str(index), MessageGroupId=group, MessageDeduplicationId=str(index)
            )
            number = int(sent["SequenceNumber"])
            assert number > last.get(group, -1), f"group {group}: {number} after {last.get(group)}"
            last[group] = number
        for message in sqs_target.drain(url):
            assert message["Attributes"]["SequenceNumber"].isdigit()

    contract.check(sqs_target.target, sequence, examples=6, groups=st.lists(GROUPS, min_size=1, max_size=10))


def test_a_retried_receive_attempt_returns_the_same_batch(contract, sqs_target: SqsSide) -> None:
    def retry(groups: list[str], limit: int, retries: int) -> None:
        url = sqs_target.queue(fifo=True)
        for index, group in enumerate(groups):
            sqs_target.client.send_message(
                QueueUrl=url, MessageBody=str(index), MessageGroupId=group, MessageDeduplicationId=str(index)
            )
        attempt = uuid.uuid4().hex
        first = sqs_target.receive(
            url, wait=sqs_target.wait, MaxNumberOfMessages=limit, ReceiveRequestAttemptId=attempt
        )
        assert first, "nothing received from a queue with messages"
        for _ in range(retries):
            again = sqs_target.receive(url, MaxNumberOfMessages=limit, ReceiveRequestAttemptId=attempt)
            assert [(m["MessageId"], m["ReceiptHandle"]) for m in again] == [
                (m["MessageId"], m["ReceiptHandle"]) for m in first
            ]
        # The batch is still in flight: its groups serve nothing else.
        locked = {m["Attributes"]["MessageGroupId"] for m in first}
        rest = sqs_target.receive(url, MaxNumberOfMessages=10, VisibilityTimeout=HELD)
        assert not locked & {m["Attributes"]["MessageGroupId"] for m in rest}

    contract.check(
        sqs_target.target,
        retry,
        examples=6,
        groups=st.lists(GROUPS, min_size=1, max_size=8),
        limit=st.integers(1, 10),
        retries=st.integers(1, 3),
    )


def test_changing_visibility_moves_the_group_lock(contract, sqs_target: SqsSide) -> None:
    """The group stays locked while its message is invisible, for as long as its visibility was changed to; made
    visible again (timeout 0, or the new timeout ending), the group serves that same message first."""
    longest = 600 if sqs_target.target.moves_time else 3

    def move_lock(first_timeout: int, new_timeout: int, queued: int) -> None:
        url = sqs_target.queue(fifo=True)
        for index in range(queued):
            sqs_target.client.send_message(
                QueueUrl=url, MessageBody=str(index), MessageGroupId="g", MessageDeduplicationId=str(index)
            )
        [head] = sqs_target.receive(url, wait=sqs_target.wait, MaxNumberOfMessages=1, VisibilityTimeout=first_timeout)
        assert head["Body"] == "0"
        sqs_target.client.change_message_visibility(
            QueueUrl=url, ReceiptHandle=head["ReceiptHandle"], VisibilityTimeout=new_timeout
        )
        if new_timeout:
            sqs_target.time.advance(new_timeout - 1)
            assert sqs_target.receive(url) == [], f"the group served {new_timeout - 1} s into a {new_timeout} s lock"
            sqs_target.time.advance(1.5)
        again = sqs_target.receive(url, wait=sqs_target.wait, MaxNumberOfMessages=1)
        assert [m["MessageId"] for m in again] == [head["MessageId"]], "the group did not serve its head again"

    contract.check(
        sqs_target.target,
        move_lock,
        examples=6,
        timed=True,
        first_timeout=st.integers(1, longest),
        new_timeout=st.integers(0, longest),
        queued=st.integers(1, 3),
    )


def test_purge_clears_the_deduplication_cache(contract, sqs_target: SqsSide) -> None:
    def purge(dedup_ids: list[str]) -> None:
        url = sqs_target.queue(fifo=True)
        for dedup in dedup_ids:
            sqs_target.client.send_message(
                QueueUrl=url, MessageBody="before", MessageGroupId="g", MessageDeduplicationId=dedup
            )
        sqs_target.client.purge_queue(QueueUrl=url)
        sqs_target.time.advance(60)  # AWS takes up to 60 s to purge
        for dedup in dedup_ids:
            sqs_target.client.send_message(
                QueueUrl=url, MessageBody=f"after {dedup}", MessageGroupId="g", MessageDeduplicationId=dedup
            )
        expected = sorted(f"after {dedup}" for dedup in set(dedup_ids))
        assert sorted(m["Body"] for m in sqs_target.drain(url)) == expected, "a resend after the purge was dropped"

    ids = st.lists(st.sampled_from(["d1", "d2", "d3"]), min_size=1, max_size=4)
    contract.check(sqs_target.target, purge, examples=4, timed=True, dedup_ids=ids)
