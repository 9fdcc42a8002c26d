"""Property-based tests of the SQS core against a simple model, driven by the clock (no HTTP, no sleeps)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from cloudtwin.clock import Clock
from cloudtwin.sqs.backend import SendEntry, SqsBackend
from cloudtwin.sqs.naming import RequestContext

CTX = RequestContext("us-east-1", "000000000000", "http://test")
GROUPS = st.sampled_from(["a", "b"])


class QueueModel(RuleBasedStateMachine):
    """What the model knows: send order, which messages are in flight until when, which are deleted."""

    fifo = False

    @initialize()
    def create(self) -> None:
        self.clock = Clock()
        self.clock.freeze(1_000_000.0)
        self.backend = SqsBackend(self.clock)
        name = "model.fifo" if self.fifo else "model"
        attributes = {"FifoQueue": "true"} if self.fifo else {}
        self.url = self.backend.create_queue(CTX, name, attributes)
        self.sent: list[tuple[str, str]] = []  # (message id, group)
        self.in_flight: dict[str, tuple[float, str]] = {}  # id -> (visible again at, handle)
        self.deleted: set[str] = set()
        self.counter = 0

    def _visible(self, message_id: str) -> bool:
        flight = self.in_flight.get(message_id)
        return message_id not in self.deleted and (flight is None or flight[0] <= self.clock.now())

    def _fifo_available(self) -> list[str]:
        """Each group's leading run of visible messages: a message in flight holds back those after it."""
        available, blocked = [], set()
        for mid, group in self.sent:
            if mid in self.deleted or group in blocked:
                continue
            if self._visible(mid):
                available.append(mid)
            else:
                blocked.add(group)
        return available

    @rule(group=GROUPS)
    def send(self, group: str) -> None:
        self.counter += 1
        body = f"m{self.counter}"
        entry = SendEntry(
            id="x", body=body, group_id=group if self.fifo else None, dedup_id=body if self.fifo else None
        )
        result = self.backend.send_message(CTX, self.url, entry)
        self.sent.append((result.message_id, group))

    @rule(limit=st.sampled_from([1, 2, 10]), timeout=st.sampled_from([0, 10, 40]))
    def receive(self, limit: int, timeout: int) -> None:
        now = self.clock.now()
        available = [mid for mid, _ in self.sent if self._visible(mid)]
        if self.fifo:
            available = self._fifo_available()
        received = self.backend.receive_message(CTX, self.url, max_number=limit, visibility_timeout=timeout)
        ids = [m.message_id for m in received]
        assert len(ids) == len(set(ids)) <= limit
        for message_id in ids:
            assert message_id in available, "delivered a message that is in flight, deleted or behind a locked group"
        if not ids:
            assert not available, "a message was available but the receive came back empty"
        if self.fifo:
            groups = dict(self.sent)
            for group in {groups[mid] for mid in ids}:
                pending = [mid for mid, g in self.sent if g == group and mid not in self.deleted]
                delivered = [mid for mid in ids if groups[mid] == group]
                assert delivered == pending[: len(delivered)], "FIFO order broken within a group"
        for message in received:
            self.in_flight[message.message_id] = (now + timeout, message.receipt_handle)

    @precondition(lambda self: self.in_flight)
    @rule(data=st.data())
    def delete(self, data) -> None:
        message_id = data.draw(st.sampled_from(sorted(self.in_flight)))
        visible_at, handle = self.in_flight[message_id]
        if self.fifo and (visible_at <= self.clock.now() or message_id in self.deleted):
            return  # expired FIFO handles are refused; covered by the integration tests
        self.backend.delete_message(CTX, self.url, handle)
        if message_id not in self.deleted:
            self.deleted.add(message_id)

    @precondition(lambda self: self.in_flight)
    @rule(data=st.data(), timeout=st.sampled_from([0, 20]))
    def change_visibility(self, data, timeout: int) -> None:
        message_id = data.draw(st.sampled_from(sorted(self.in_flight)))
        visible_at, handle = self.in_flight[message_id]
        if visible_at <= self.clock.now() or message_id in self.deleted:
            return  # no longer in flight: refused, as the integration tests check
        self.backend.change_message_visibility(CTX, self.url, handle, timeout)
        self.in_flight[message_id] = (self.clock.now() + timeout, handle)

    @rule(seconds=st.sampled_from([1, 5, 10, 30, 41]))
    def advance(self, seconds: int) -> None:
        self.clock.advance(seconds)

    @invariant()
    def counts_match(self) -> None:
        if not hasattr(self, "backend"):
            return
        attributes = self.backend.get_queue_attributes(CTX, self.url, ["All"])
        now = self.clock.now()
        live = [mid for mid, _ in self.sent if mid not in self.deleted]
        flying = [mid for mid in live if mid in self.in_flight and self.in_flight[mid][0] > now]
        assert int(attributes["ApproximateNumberOfMessagesNotVisible"]) == len(flying)
        assert int(attributes["ApproximateNumberOfMessages"]) == len(live) - len(flying)


class FifoQueueModel(QueueModel):
    fifo = True


TestStandardQueue = QueueModel.TestCase
TestStandardQueue.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
TestFifoQueue = FifoQueueModel.TestCase
TestFifoQueue.settings = settings(max_examples=200, stateful_step_count=30, deadline=None)
