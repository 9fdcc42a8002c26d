"""Queue storage and message life cycle: delays, visibility, retention, FIFO groups.

Everything is O(log n) or better per message: a deque of visible messages (per group for
FIFO), a heap of timers for delayed and in-flight messages, and an insertion-ordered map
for retention. Nothing here locks or waits; the backend does that.
"""

from __future__ import annotations

import heapq
import itertools
import json
from abc import ABC, abstractmethod
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator

from cloudtwin.sqs.expiring import ExpiringMemory
from cloudtwin.sqs.message import Message, MessageState

VISIBLE = MessageState.VISIBLE
INFLIGHT = MessageState.INFLIGHT
DELAYED = MessageState.DELAYED
GONE = MessageState.GONE

# Given a message that has been received too often, move it away; return whether it moved.
DeadLetterHook = Callable[[Message], bool]


class Queue(ABC):
    """What standard and FIFO queues share: counts, timers, retention."""

    fifo = False

    def __init__(self, name: str, region: str, account: str, attributes: dict[str, str], now: float) -> None:
        self.name = name
        self.region = region
        self.account = account
        self.arn = f"arn:aws:sqs:{region}:{account}:{name}"
        self.attributes = attributes
        self.tags: dict[str, str] = {}
        self.created = int(now)
        self.last_modified = int(now)
        self.last_purge: float | None = None
        self.messages: OrderedDict[str, Message] = OrderedDict()
        self.counts = [0, 0, 0]
        self._timers: list[tuple[float, int, int, Message]] = []
        self._out_of_order: list[tuple[int, int, Message]] = []
        self._newest_sent_ms = 0
        self._timer_seq = itertools.count()
        self.retention = 0
        self.visibility_timeout = 0
        self.delay_seconds = 0
        self.max_message_size = 0
        self.wait_seconds = 0
        self.redrive: tuple[str, int] | None = None
        self.apply_attributes()

    def apply_attributes(self) -> None:
        """Cache the attributes read on every operation in the form they are used."""
        self.retention = int(self.attributes["MessageRetentionPeriod"])
        self.visibility_timeout = int(self.attributes["VisibilityTimeout"])
        self.delay_seconds = int(self.attributes["DelaySeconds"])
        self.max_message_size = int(self.attributes["MaximumMessageSize"])
        self.wait_seconds = int(self.attributes["ReceiveMessageWaitTimeSeconds"])
        raw_redrive = self.attributes.get("RedrivePolicy")
        if raw_redrive:
            policy = json.loads(raw_redrive)
            self.redrive = (policy["deadLetterTargetArn"], int(policy["maxReceiveCount"]))
        else:
            self.redrive = None

    def redrive_target(self) -> str | None:
        return self.redrive[0] if self.redrive else None

    # -- life cycle -------------------------------------------------------------------

    def add(self, message: Message, delay: int, now: float) -> None:
        if message.sent_ms < self._newest_sent_ms:
            # A message moved here keeps its original enqueue time: retention must find it
            # although it sits behind younger messages.
            heapq.heappush(self._out_of_order, (message.sent_ms, next(self._timer_seq), message))
        else:
            self._newest_sent_ms = message.sent_ms
        self.messages[message.id] = message
        message.state = DELAYED if delay > 0 else VISIBLE
        self.counts[message.state] += 1
        if delay > 0:
            self._schedule(message, now + delay)
        else:
            self._on_visible(message)

    def remove(self, message: Message) -> None:
        """Take a message out for good (deleted, expired, purged or moved)."""
        if message.state is GONE:
            return
        previous = message.state
        self._set_state(message, GONE)
        message.version += 1
        self.messages.pop(message.id, None)
        self._on_removed(message, previous)

    def start_flight(self, message: Message, visibility_timeout: int, now: float, receipt_handle: str) -> None:
        message.receive_count += 1
        if message.first_receive_ms is None:
            message.first_receive_ms = int(now * 1000)
        message.receipt_handle = receipt_handle
        message.received_at = now
        self._set_state(message, INFLIGHT)
        self.change_visibility(message, visibility_timeout, now)

    def change_visibility(self, message: Message, timeout: int, now: float) -> None:
        """Set an in-flight message's remaining visibility timeout (0 makes it visible now)."""
        message.version += 1
        if timeout <= 0:
            self._land(message)
        else:
            message.visible_at = now + timeout
            self._schedule(message, message.visible_at)

    def refresh(self, now: float) -> None:
        """Apply everything due by `now`: expired timers, then retention."""
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, version, message = heapq.heappop(timers)
            if message.version == version and message.state in (DELAYED, INFLIGHT):
                self._land(message)
        horizon_ms = (now - self.retention) * 1000
        messages = self.messages
        while messages:
            oldest = messages[next(iter(messages))]
            if oldest.sent_ms > horizon_ms:
                break
            self.remove(oldest)
        out_of_order = self._out_of_order
        while out_of_order and out_of_order[0][0] <= horizon_ms:
            self.remove(heapq.heappop(out_of_order)[2])

    def next_timer_at(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def purge(self) -> None:
        for message in list(self.messages.values()):
            message.state = GONE
            message.version += 1
        self.messages.clear()
        self._timers.clear()
        self._out_of_order.clear()
        self.counts = [0, 0, 0]
        self._clear_ready()

    def visible_messages(self) -> Iterator[Message]:
        """Visible messages in send order (for move tasks; not a hot path)."""
        return (m for m in list(self.messages.values()) if m.state is VISIBLE)

    def _land(self, message: Message) -> None:
        """A delayed or in-flight message becomes visible."""
        previous = message.state
        message.version += 1
        self._set_state(message, VISIBLE)
        if previous is INFLIGHT:
            self._on_flight_ended(message)
        self._on_visible(message)

    def _schedule(self, message: Message, at: float) -> None:
        heapq.heappush(self._timers, (at, next(self._timer_seq), message.version, message))

    def _set_state(self, message: Message, state: MessageState) -> None:
        counts = self.counts
        if message.state is not GONE:
            counts[message.state] -= 1
        message.state = state
        if state is not GONE:
            counts[state] += 1

    # -- what each kind of queue does differently ----------------------------------------

    @abstractmethod
    def take(self, limit: int, dead_letter: DeadLetterHook) -> list[Message]:
        """Up to `limit` visible messages in delivery order; each is first offered to `dead_letter`."""

    @abstractmethod
    def _on_visible(self, message: Message) -> None:
        """A message became visible: make it receivable."""

    def _on_flight_ended(self, message: Message) -> None:  # noqa: B027 - a hook; standard queues need none
        """A message stopped being in flight (it became visible again or was removed)."""

    def _on_removed(self, message: Message, previous: MessageState) -> None:
        if previous is INFLIGHT:
            self._on_flight_ended(message)

    @abstractmethod
    def _clear_ready(self) -> None:
        """Forget every receivable message (the queue is being purged)."""


class StandardQueue(Queue):
    def __init__(self, *args, **kwargs) -> None:
        self._ready: deque[tuple[Message, int]] = deque()
        super().__init__(*args, **kwargs)

    def take(self, limit: int, dead_letter: DeadLetterHook) -> list[Message]:
        taken: list[Message] = []
        ready = self._ready
        while ready and len(taken) < limit:
            message, version = ready.popleft()
            if message.version != version or message.state is not VISIBLE:
                continue
            if dead_letter(message):
                continue
            taken.append(message)
        return taken

    def _on_visible(self, message: Message) -> None:
        self._ready.append((message, message.version))

    def _clear_ready(self) -> None:
        self._ready.clear()


class MessageGroup:
    __slots__ = ("id", "messages", "queued")

    def __init__(self, group_id: str) -> None:
        self.id = group_id
        self.messages: deque[Message] = deque()
        self.queued = False

    def head(self) -> Message | None:
        """The oldest message still in the group."""
        for message in self.messages:
            if message.state is not GONE:
                return message
        return None


class FifoQueue(Queue):
    """Strict order per message group, as AWS keeps it: a group serves its leading run of
    visible messages, so a message in flight at its head holds back all the group, and one
    made visible again (expired, or ChangeMessageVisibility to 0) is served first, even while
    messages after it are still in flight.
    """

    fifo = True

    def __init__(self, name: str, region: str, account: str, attributes: dict[str, str], now: float) -> None:
        self.groups: dict[str, MessageGroup] = {}
        self._ready_groups: deque[MessageGroup] = deque()
        # AWS-style numbers: 20 digits, increasing, starting from the queue's creation time.
        self._sequence = itertools.count(10**19 + (int(now * 1000) << 20) + 1)
        self.sent_deduplication_ids: ExpiringMemory = ExpiringMemory()
        self.receive_attempts: ExpiringMemory = ExpiringMemory()
        # AWS keeps deduplicating with the scope the queue was created with, whatever
        # SetQueueAttributes later says (its attribute changes; the behaviour does not).
        self.deduplication_by_group = attributes.get("DeduplicationScope") == "messageGroup"
        super().__init__(name, region, account, attributes, now)

    def deduplication_key(self, group_id: str, deduplication_id: str) -> tuple:
        if self.deduplication_by_group:
            return (group_id, deduplication_id)
        return (deduplication_id,)

    def next_sequence_number(self) -> str:
        return str(next(self._sequence))

    def add(self, message: Message, delay: int, now: float) -> None:
        group = self.groups.get(message.group_id)
        if group is None:
            group = self.groups[message.group_id] = MessageGroup(message.group_id)
        group.messages.append(message)
        super().add(message, delay, now)

    def take(self, limit: int, dead_letter: DeadLetterHook) -> list[Message]:
        taken: list[Message] = []
        served: set[str] = set()  # groups taken from here: their messages are not in flight until start_flight
        ready = self._ready_groups
        while ready and len(taken) < limit:
            group = ready.popleft()
            group.queued = False
            if group.id in served or self.groups.get(group.id) is not group:
                continue
            served.add(group.id)
            for message in list(group.messages):
                if len(taken) >= limit:
                    break
                if message.state is GONE:
                    continue
                if message.state is not VISIBLE:
                    break  # a delayed or in-flight message holds back the rest of its group
                if dead_letter(message):
                    continue
                taken.append(message)
        return taken

    def purge(self) -> None:
        super().purge()
        # A purge forgets the deduplication ids too: the same id may be sent again at once.
        self.sent_deduplication_ids.clear()

    def _on_visible(self, message: Message) -> None:
        self._offer(self.groups[message.group_id])

    def _on_flight_ended(self, message: Message) -> None:
        group = self.groups.get(message.group_id)
        if group is not None:
            self._offer(group)

    def _on_removed(self, message: Message, previous: MessageState) -> None:
        super()._on_removed(message, previous)
        group = self.groups.get(message.group_id)
        if group is None:
            return
        while group.messages and group.messages[0].state is GONE:
            group.messages.popleft()
        if not group.messages:
            del self.groups[group.id]
        else:
            self._offer(group)

    def _offer(self, group: MessageGroup) -> None:
        """Queue the group for receiving if its head can be served now."""
        if group.queued:
            return
        head = group.head()
        if head is not None and head.state is VISIBLE:
            group.queued = True
            self._ready_groups.append(group)

    def _clear_ready(self) -> None:
        self.groups.clear()
        self._ready_groups.clear()
        self.receive_attempts.clear()
