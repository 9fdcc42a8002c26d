"""The SQS core: every SQS action as a method on plain data, with no wire format in sight.

One lock guards all queues (the GIL would serialise them anyway, and dead-letter moves and
move tasks touch two queues at once). Long polls wait on a per-queue condition that shares it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from cloudtwin.clock import Clock
from cloudtwin.ids import UuidSequence
from cloudtwin.sqs import attributes as queue_attributes
from cloudtwin.sqs import batch, errors
from cloudtwin.sqs.message import (
    Message,
    MessageAttributeValue,
    MessageState,
    filter_message_attributes,
    md5_of_attributes,
    message_size,
    moved_copy,
    validate_attributes,
    validate_body,
)
from cloudtwin.sqs.move_tasks import MoveTask, MoveTasks, decode_task_handle
from cloudtwin.sqs.naming import (
    RequestContext,
    parse_queue_arn,
    parse_queue_url,
    queue_url,
    validate_queue_name,
)
from cloudtwin.sqs.permissions import add_permission, remove_permission
from cloudtwin.sqs.queue import FifoQueue, Queue, StandardQueue
from cloudtwin.sqs.receipts import new_receipt_handle, parse_receipt_handle

T = TypeVar("T")

PURGE_INTERVAL = 60
MAX_VISIBILITY_TIMEOUT = 43200
MAX_WAIT_SECONDS = 20
MAX_RECEIVE = 10
MAX_TAGS = 50
SYSTEM_ATTRIBUTES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)
_GROUP_OR_DEDUP_ID_CHARS = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
)


@dataclass(slots=True)
class SendResult:
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sequence_number: str | None


@dataclass(slots=True)
class ReceivedMessage:
    message_id: str
    receipt_handle: str
    body: str
    md5_body: str
    attributes: dict[str, str]
    message_attributes: dict[str, MessageAttributeValue]
    md5_message_attributes: str | None


@dataclass(slots=True)
class SendEntry:
    id: str
    body: str | None
    delay_seconds: int | None = None
    message_attributes: dict[str, MessageAttributeValue] = field(default_factory=dict)
    trace_header: str | None = None
    group_id: str | None = None
    dedup_id: str | None = None


@dataclass(slots=True)
class BatchFailure:
    id: str
    code: str
    message: str
    sender_fault: bool = True


class _ServingLock:
    """The backend's lock, refused once the backend is closed: a class, since a generator-based context manager
    costs a tenth of a small request's time in the SQS core."""

    def __init__(self, backend: SqsBackend) -> None:
        self._backend = backend
        self._lock = backend._lock

    def __enter__(self) -> None:
        self._lock.acquire()
        if self._backend._closed:
            self._lock.release()
            raise _stopping()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


class SqsBackend:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.RLock()
        self._queues: dict[tuple[str, str, str], Queue] = {}
        self._by_arn: dict[str, Queue] = {}
        self._arrivals: dict[Queue, threading.Condition] = {}
        self.move_tasks = MoveTasks()
        self._message_ids = UuidSequence()
        self.long_polls_waiting = 0
        """Receives waiting for a message now (changed under the lock; shown in health)."""
        self._closed = False
        self._serving_lock = _ServingLock(self)
        self._remove_listener = clock.on_move(self._wake_all)

    # -- queues ------------------------------------------------------------------------

    def create_queue(
        self, ctx: RequestContext, name: str | None, attributes: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:  # fmt: skip
        attributes = dict(attributes or {})
        fifo = str(attributes.get("FifoQueue", "false")).lower() == "true"
        validate_queue_name(name, fifo)
        given = queue_attributes.normalize(attributes, fifo=fifo, creating=True)
        given.pop("FifoQueue", None)
        if tags:
            _validate_tags(tags)
        with self._serving():
            key = (ctx.region, ctx.account, name)
            existing = self._queues.get(key)
            if existing is not None:
                for attr, value in given.items():
                    if existing.attributes.get(attr, "") != value:
                        raise errors.QueueNameExists(
                            f"A queue already exists with the same name and a different value for attribute {attr}"
                        )
                return queue_url(ctx.endpoint, *key)
            values = queue_attributes.defaults(fifo)
            if given.get("KmsMasterKeyId"):
                values["SqsManagedSseEnabled"] = "false"
            values.update({k: v for k, v in given.items() if v != ""})
            self._check_redrive(f"arn:aws:sqs:{ctx.region}:{ctx.account}:{name}", values, fifo)
            now = self.clock.now()
            kind = FifoQueue if fifo else StandardQueue
            queue = kind(name, ctx.region, ctx.account, values, now)
            queue.tags = dict(tags or {})
            self._queues[key] = queue
            self._by_arn[queue.arn] = queue
            self._arrivals[queue] = threading.Condition(self._lock)
            return queue_url(ctx.endpoint, *key)

    def get_queue_url(self, ctx: RequestContext, name: str | None, owner_account: str | None = None) -> str:
        if not name:
            raise errors.MissingParameter("The request must contain the parameter QueueName.")
        key = (ctx.region, owner_account or ctx.account, name)
        with self._serving():
            if key not in self._queues:
                raise errors.QueueDoesNotExist("The specified queue does not exist.")
        return queue_url(ctx.endpoint, *key)

    def delete_queue(self, ctx: RequestContext, url: str) -> None:
        with self._serving():
            queue = self._queue(ctx, url)
            self._drop_queue(queue)

    def inspect_queues(self, names: set[str], inspect: Callable[[Queue], T]) -> list[T]:
        """`inspect` of every queue called one of `names`, in any region and account, with what the clock made due
        applied first (as GetQueueAttributes does), under the lock, by name, region and account."""
        with self._lock:
            queues = sorted(
                (queue for (_, _, name), queue in self._queues.items() if name in names),
                key=lambda queue: (queue.name, queue.region, queue.account),
            )
            now = self.clock.now()
            for queue in queues:
                queue.refresh(now)
            return [inspect(queue) for queue in queues]

    def list_queues(
        self, ctx: RequestContext, prefix: str | None = None, max_results: int | None = None,
        next_token: str | None = None,
    ) -> tuple[list[str], str | None]:  # fmt: skip
        with self._serving():
            names = sorted(
                name
                for (region, account, name) in self._queues
                if region == ctx.region and account == ctx.account and name.startswith(prefix or "")
            )
        urls = [queue_url(ctx.endpoint, ctx.region, ctx.account, name) for name in names]
        return _paginate(urls, max_results, next_token, limit=1000, name="MaxResults")

    def get_queue_attributes(self, ctx: RequestContext, url: str, names: list[str] | None) -> dict[str, str]:
        wanted = list(names or [])
        for name in wanted:
            if name != "All" and not queue_attributes.is_known(name):
                raise errors.InvalidAttributeName(f"Unknown Attribute {name}.")
        with self._serving():
            queue = self._queue(ctx, url)
            if not wanted:
                return {}
            queue.refresh(self.clock.now())
            everything = self._all_attributes(queue)
        if "All" not in wanted:
            wanted_names = set(wanted)
            everything = {name: value for name, value in everything.items() if name in wanted_names}
        return everything

    def set_queue_attributes(self, ctx: RequestContext, url: str, attributes: dict[str, str]) -> None:
        with self._serving():
            queue = self._queue(ctx, url)
            given = queue_attributes.normalize(attributes or {}, fifo=queue.fifo, creating=False)
            if given.get("KmsMasterKeyId") and "SqsManagedSseEnabled" not in given:
                given["SqsManagedSseEnabled"] = "false"  # a KMS key replaces SQS-managed encryption, as at creation
            values = dict(queue.attributes)
            for name, value in given.items():
                if value == "" and queue_attributes.SPECS[name].default is None:
                    values.pop(name, None)
                elif value == "":
                    raise errors.InvalidAttributeValue(f"Invalid value for the parameter {name}.")
                else:
                    values[name] = value
            self._check_redrive(queue.arn, values, queue.fifo)
            queue.attributes = values
            queue.apply_attributes()
            queue.last_modified = int(self.clock.now())
            self._arrivals[queue].notify_all()

    def purge_queue(self, ctx: RequestContext, url: str) -> None:
        with self._serving():
            queue = self._queue(ctx, url)
            now = self.clock.now()
            if queue.last_purge is not None and now - queue.last_purge < PURGE_INTERVAL:
                raise errors.PurgeQueueInProgress(
                    f"Only one PurgeQueue operation on {queue.name} is allowed every {PURGE_INTERVAL} seconds."
                )
            queue.last_purge = now
            queue.purge()

    # -- messages ----------------------------------------------------------------------

    def send_message(self, ctx: RequestContext, url: str, entry: SendEntry) -> SendResult:
        with self._serving():
            queue = self._queue(ctx, url)
            result = self._send(ctx, queue, entry, self.clock.now())
            self._arrivals[queue].notify()
            return result

    def send_message_batch(
        self, ctx: RequestContext, url: str, entries: list[SendEntry]
    ) -> tuple[list[tuple[str, SendResult]], list[BatchFailure]]:
        batch.validate_entry_ids([entry.id for entry in entries])
        with self._serving():
            queue = self._queue(ctx, url)
            if queue.fifo:
                _check_fifo_batch(queue, entries)
            sizes = [message_size(entry.body, entry.message_attributes) for entry in entries]
            batch.validate_total_size(sum(sizes))
            now = self.clock.now()
            done: list[tuple[str, SendResult]] = []
            failed: list[BatchFailure] = []
            for entry, size in zip(entries, sizes, strict=True):
                try:
                    done.append((entry.id, self._send(ctx, queue, entry, now, size, in_batch=True)))
                except errors.SqsError as exc:
                    failed.append(_failure(entry.id, exc))
            self._arrivals[queue].notify(len(done))
            return done, failed

    def receive_message(
        self,
        ctx: RequestContext,
        url: str,
        max_number: int | None = None,
        visibility_timeout: int | None = None,
        wait_seconds: int | None = None,
        attribute_names: list[str] | None = None,
        message_attribute_names: list[str] | None = None,
        attempt_id: str | None = None,
    ) -> list[ReceivedMessage]:
        limit = 1 if max_number is None else max_number
        _check_range("MaxNumberOfMessages", limit, 1, MAX_RECEIVE, "Must be between 1 and 10, if provided.")
        if visibility_timeout is not None:
            _check_range("VisibilityTimeout", visibility_timeout, 0, MAX_VISIBILITY_TIMEOUT,
                         "Must be between 0 and 43200, if provided.")  # fmt: skip
        if wait_seconds is not None:
            _check_range("WaitTimeSeconds", wait_seconds, 0, MAX_WAIT_SECONDS, "Must be >= 0 and <= 20, if provided.")
        system_names = _system_attribute_names(attribute_names or [])
        with self._serving():
            queue = self._queue(ctx, url)
            wait = queue.wait_seconds if wait_seconds is None else wait_seconds
            start = self.clock.now()
            real_deadline = time.monotonic() + wait
            while True:
                now = self.clock.now()
                taken = self._receive_now(queue, limit, visibility_timeout, attempt_id, now)
                if taken or now >= start + wait or time.monotonic() >= real_deadline:
                    break
                self.long_polls_waiting += 1
                try:
                    self._arrivals[queue].wait(self._wait_timeout(queue, start + wait, real_deadline, now))
                finally:
                    self.long_polls_waiting -= 1
                if self._closed:
                    raise _stopping()
                if self._by_arn.get(queue.arn) is not queue:
                    raise errors.QueueDoesNotExist("The specified queue does not exist.")
            return [
                self._render(queue, message, handle, system_names, message_attribute_names) for message, handle in taken
            ]

    def delete_message(self, ctx: RequestContext, url: str, receipt_handle: str | None) -> None:
        with self._serving():
            queue = self._queue(ctx, url)
            queue.refresh(self.clock.now())
            self._delete(queue, receipt_handle)

    def delete_message_batch(
        self, ctx: RequestContext, url: str, entries: list[tuple[str, str]]
    ) -> tuple[list[str], list[BatchFailure]]:
        """Entries are (Id, ReceiptHandle)."""
        batch.validate_entry_ids([entry_id for entry_id, _ in entries])
        with self._serving():
            queue = self._queue(ctx, url)
            queue.refresh(self.clock.now())
            done, failed = [], []
            for entry_id, handle in entries:
                try:
                    self._delete(queue, handle)
                    done.append(entry_id)
                except errors.SqsError as exc:
                    failed.append(_failure(entry_id, exc))
            return done, failed

    def change_message_visibility(
        self, ctx: RequestContext, url: str, receipt_handle: str | None, visibility_timeout: int | None
    ) -> None:
        with self._serving():
            queue = self._queue(ctx, url)
            queue.refresh(self.clock.now())
            self._change_visibility(queue, receipt_handle, visibility_timeout)

    def change_message_visibility_batch(
        self, ctx: RequestContext, url: str, entries: list[tuple[str, str, int | None]]
    ) -> tuple[list[str], list[BatchFailure]]:
        """Entries are (Id, ReceiptHandle, VisibilityTimeout)."""
        batch.validate_entry_ids([entry[0] for entry in entries])
        with self._serving():
            queue = self._queue(ctx, url)
            queue.refresh(self.clock.now())
            done, failed = [], []
            for entry_id, handle, timeout in entries:
                try:
                    self._change_visibility(queue, handle, timeout)
                    done.append(entry_id)
                except errors.SqsError as exc:
                    failed.append(_failure(entry_id, exc))
            return done, failed

    # -- tags, permissions, dead letters ---------------------------------------------

    def tag_queue(self, ctx: RequestContext, url: str, tags: dict[str, str]) -> None:
        if not tags:
            raise errors.MissingParameter("The request must contain the parameter Tags.")
        _validate_tags(tags)
        with self._serving():
            queue = self._queue(ctx, url)
            merged = {**queue.tags, **tags}
            if len(merged) > MAX_TAGS:
                raise errors.InvalidParameterValue(f"Too many tags added for queue {queue.name}.")
            queue.tags = merged

    def untag_queue(self, ctx: RequestContext, url: str, keys: list[str]) -> None:
        if not keys:
            raise errors.MissingParameter("The request must contain the parameter TagKeys.")
        with self._serving():
            queue = self._queue(ctx, url)
            for key in keys:
                queue.tags.pop(key, None)

    def list_queue_tags(self, ctx: RequestContext, url: str) -> dict[str, str]:
        with self._serving():
            return dict(self._queue(ctx, url).tags)

    def add_permission(
        self, ctx: RequestContext, url: str, label: str | None, accounts: list[str], actions: list[str]
    ) -> None:
        with self._serving():
            queue = self._queue(ctx, url)
            policy = add_permission(queue.attributes.get("Policy"), queue.arn, label, accounts, actions)
            queue.attributes["Policy"] = policy
            queue.last_modified = int(self.clock.now())

    def remove_permission(self, ctx: RequestContext, url: str, label: str | None) -> None:
        with self._serving():
            queue = self._queue(ctx, url)
            policy = remove_permission(queue.attributes.get("Policy"), label)
            if policy is None:
                queue.attributes.pop("Policy", None)
            else:
                queue.attributes["Policy"] = policy

    def list_dead_letter_source_queues(
        self, ctx: RequestContext, url: str, max_results: int | None = None, next_token: str | None = None
    ) -> tuple[list[str], str | None]:
        with self._serving():
            target = self._queue(ctx, url)
            sources = sorted(
                queue_url(ctx.endpoint, q.region, q.account, q.name)
                for q in self._queues.values()
                if q.redrive_target() == target.arn
            )
        return _paginate(sources, max_results, next_token, limit=1000, name="MaxResults")

    # -- message move tasks -------------------------------------------------------------

    def start_message_move_task(
        self, ctx: RequestContext, source_arn: str | None, destination_arn: str | None = None,
        max_per_second: int | None = None,
    ) -> str:  # fmt: skip
        if not source_arn:
            raise errors.MissingParameter("The request must contain the parameter SourceArn.")
        if max_per_second is not None:
            _check_range("MaxNumberOfMessagesPerSecond", max_per_second, 1, 500, "Must be between 1 and 500.")
        with self._serving():
            self._progress_move_tasks()
            source = self._queue_by_arn(source_arn, "SourceArn")
            if not any(q.redrive_target() == source.arn for q in self._queues.values()):
                raise errors.InvalidParameterValue("Source queue must be configured as a Dead Letter Queue.")
            if destination_arn:
                destination = self._queue_by_arn(destination_arn, "DestinationArn")
                if destination.fifo != source.fifo:
                    raise errors.InvalidParameterValue(
                        "Value for parameter DestinationArn is invalid. Reason: the destination must be "
                        "of the same type as the source."
                    )
            if self.move_tasks.running(source.arn):
                raise errors.InvalidParameterValue(
                    "There is already a task running. Only one active task is allowed for a source queue "
                    "arn at a given time."
                )
            to_move = sum(1 for _ in source.visible_messages())
            task = self.move_tasks.start(source.arn, destination_arn, max_per_second, to_move, self.clock.now())
            self._progress_move_tasks()
            return task.handle

    def cancel_message_move_task(self, ctx: RequestContext, task_handle: str | None) -> int:
        if not task_handle:
            raise errors.MissingParameter("The request must contain the parameter TaskHandle.")
        with self._serving():
            self._progress_move_tasks()
            decoded = decode_task_handle(task_handle)
            if decoded is None:
                raise errors.InvalidParameterValue("Value for parameter TaskHandle is invalid.")
            self._queue_by_arn(decoded[1], "SourceArn")
            task = self.move_tasks.by_handle(task_handle)
            if task is None or task.status != "RUNNING":
                raise errors.ResourceNotFoundException("Task does not exist.")
            task.status = "CANCELLED"
            return task.moved

    def list_message_move_tasks(
        self, ctx: RequestContext, source_arn: str | None, max_results: int | None = None
    ) -> list[MoveTask]:
        if not source_arn:
            raise errors.MissingParameter("The request must contain the parameter SourceArn.")
        limit = 1 if max_results is None else max_results
        _check_range("MaxResults", limit, 1, 10, "Must be between 1 and 10.")
        with self._serving():
            self._progress_move_tasks()
            self._queue_by_arn(source_arn, "SourceArn")
            return self.move_tasks.for_source(source_arn)[:limit]

    # -- lifecycle ----------------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            for queue in list(self._queues.values()):
                self._drop_queue(queue)
            self.move_tasks = MoveTasks()

    def close(self) -> None:
        """Stop serving: every call from now on, and every waiting long poll, gets ServiceUnavailable.

        The queues stay until `reset()`: a request racing the shutdown must not hear that its queue is gone.
        """
        with self._lock:
            self._closed = True
            for condition in self._arrivals.values():
                condition.notify_all()
        self._remove_listener()

    def queue_count(self) -> int:
        return len(self._queues)

    # -- internals ----------------------------------------------------------------------

    def _serving(self) -> _ServingLock:
        """The lock, for an SQS action: refused once the backend is closed."""
        return self._serving_lock

    def _queue(self, ctx: RequestContext, url: str | None) -> Queue:
        key = parse_queue_url(url, ctx)
        queue = self._queues.get(key)
        if queue is None or (ctx.region_signed and key[0] != ctx.region):
            raise errors.QueueDoesNotExist("The specified queue does not exist.")
        if self.move_tasks.active:
            self._progress_move_tasks()
        return queue

    def _queue_by_arn(self, arn: str, parameter: str) -> Queue:
        queue = self._by_arn.get(arn)
        if queue is None:
            if parse_queue_arn(arn) is None:
                raise errors.InvalidParameterValue(
                    f"Value {arn} for parameter {parameter} is invalid. Reason: not a queue ARN."
                )
            raise errors.ResourceNotFoundException(
                f"The resource that you specified for the {parameter} parameter doesn't exist."
            )
        return queue

    def _drop_queue(self, queue: Queue) -> None:
        del self._queues[(queue.region, queue.account, queue.name)]
        del self._by_arn[queue.arn]
        queue.purge()
        self._arrivals.pop(queue).notify_all()

    def _wake_all(self) -> None:
        with self._lock:
            for condition in self._arrivals.values():
                condition.notify_all()

    def _wait_timeout(self, queue: Queue, deadline: float, real_deadline: float, now: float) -> float:
        """How long a long poll may sleep before something it waits for could have changed."""
        timeout = real_deadline - time.monotonic()
        if not self.clock.frozen:
            timeout = min(timeout, deadline - now)
            next_timer = queue.next_timer_at()
            if next_timer is not None:
                timeout = min(timeout, next_timer - now)
        return max(timeout, 0.001)

    def _all_attributes(self, queue: Queue) -> dict[str, str]:
        values = dict(queue.attributes)
        if "KmsMasterKeyId" not in values:
            values.pop("KmsDataKeyReusePeriodSeconds", None)  # AWS reports it only for KMS encryption
        if queue.fifo:
            values["FifoQueue"] = "true"
        values.update(
            {
                "ApproximateNumberOfMessages": str(queue.counts[MessageState.VISIBLE]),
                "ApproximateNumberOfMessagesNotVisible": str(queue.counts[MessageState.INFLIGHT]),
                "ApproximateNumberOfMessagesDelayed": str(queue.counts[MessageState.DELAYED]),
                "CreatedTimestamp": str(queue.created),
                "LastModifiedTimestamp": str(queue.last_modified),
                "QueueArn": queue.arn,
            }
        )
        return {name: values[name] for name in queue_attributes.RESPONSE_ORDER if name in values}

    def _check_redrive(self, source_arn: str, values: dict[str, str], fifo: bool) -> None:
        raw = values.get("RedrivePolicy")
        if not raw:
            return
        target_arn = json.loads(raw)["deadLetterTargetArn"]
        target = self._by_arn.get(target_arn)
        if target is None:
            raise errors.InvalidParameterValue(
                f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Dead letter target does not exist."
            )
        if target.fifo != fifo:
            raise errors.InvalidParameterValue(
                f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Dead-letter queue must be "
                "same type of queue as the source."
            )
        allow = target.attributes.get("RedriveAllowPolicy")
        if allow:
            policy = json.loads(allow)
            permission = policy["redrivePermission"]
            if permission == "denyAll" or (permission == "byQueue" and source_arn not in policy["sourceQueueArns"]):
                raise errors.InvalidParameterValue(
                    f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Queue {target_arn} does "
                    "not allow this queue as a dead-letter source; see its RedriveAllowPolicy."
                )

    def _send(
        self, ctx: RequestContext, queue: Queue, entry: SendEntry, now: float, size: int | None = None,
        in_batch: bool = False,
    ) -> SendResult:  # fmt: skip
        """Validate and enqueue one message; the caller wakes long polls."""
        body = validate_body(entry.body)
        if entry.message_attributes:
            validate_attributes(entry.message_attributes)
        if entry.trace_header is not None and not entry.trace_header:
            raise errors.InvalidParameterValue("The message system attribute AWSTraceHeader must not be empty.")
        delay = entry.delay_seconds
        if delay is not None:
            _check_range("DelaySeconds", delay, 0, 900, "DelaySeconds must be >= 0 and <= 900")
            if queue.fifo and delay == 0:
                delay = None  # AWS accepts 0 on a FIFO queue, and then applies the queue's own delay
            elif queue.fifo:
                raise errors.InvalidParameterValue(
                    f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request include "
                    "parameter that is not valid for this queue type."
                )
        if size is None:
            size = message_size(body, entry.message_attributes)
        if size > queue.max_message_size:
            # AWS words it differently for a batch entry.
            problem = "cannot be validated" if in_batch else "are invalid"
            raise errors.InvalidParameterValue(
                f"One or more parameters {problem}. "
                f"Reason: Message must be shorter than {queue.max_message_size} bytes."
            )
        if entry.group_id is not None:
            _check_group_or_dedup_id("MessageGroupId", entry.group_id)
        dedup_id = entry.dedup_id
        if queue.fifo:
            if entry.group_id is None:
                raise errors.MissingParameter("The request must contain the parameter MessageGroupId.")
            if dedup_id is None:
                if queue.attributes.get("ContentBasedDeduplication") != "true":
                    raise _no_deduplication_id()
                dedup_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
            else:
                _check_group_or_dedup_id("MessageDeduplicationId", dedup_id)
            seen = queue.sent_deduplication_ids.get(queue.deduplication_key(entry.group_id, dedup_id), now)
            if seen is not None:
                return seen
        elif dedup_id is not None:
            raise errors.InvalidParameterValue(
                f"Value {dedup_id} for parameter MessageDeduplicationId is invalid. Reason: The request "
                "includes a parameter that is not valid for this queue type."
            )
        sequence = queue.next_sequence_number() if queue.fifo else None
        message = Message(
            self._message_ids.next(), body, dict(entry.message_attributes), entry.trace_header,
            int(now * 1000), ctx.account, entry.group_id, dedup_id if queue.fifo else None, sequence, size,
        )  # fmt: skip
        queue.add(message, queue.delay_seconds if delay is None else delay, now)
        result = SendResult(message.id, message.md5_body, message.md5_attributes, message.md5_system, sequence)
        if queue.fifo:
            queue.sent_deduplication_ids.remember(queue.deduplication_key(entry.group_id, dedup_id), result, now)
        return result

    def _receive_now(
        self, queue: Queue, limit: int, visibility_timeout: int | None, attempt_id: str | None, now: float
    ) -> list[tuple[Message, str]]:
        queue.refresh(now)
        remember_attempt = attempt_id is not None and isinstance(queue, FifoQueue)
        if remember_attempt:
            # A retry within the window gets the same batch while all of it is still in flight.
            previous = queue.receive_attempts.get(attempt_id, now)
            if previous and all(m.receipt_handle == h and m.state is MessageState.INFLIGHT for m, h in previous):
                return previous
        timeout = queue.visibility_timeout if visibility_timeout is None else visibility_timeout
        taken = queue.take(limit, lambda message: self._dead_letter(queue, message, now))
        received = []
        for message in taken:
            handle = new_receipt_handle(queue.arn, message.id)
            queue.start_flight(message, timeout, now, handle)
            received.append((message, handle))
        if remember_attempt and received:
            queue.receive_attempts.remember(attempt_id, received, now)
        return received

    def _dead_letter(self, queue: Queue, message: Message, now: float) -> bool:
        """Move a message received maxReceiveCount times to the dead-letter queue; True if moved."""
        redrive = queue.redrive
        if redrive is None or message.receive_count < redrive[1]:
            return False
        target = self._by_arn.get(redrive[0])
        if target is None:
            return False
        queue.remove(message)
        # FIFO dead-letter queues restart the retention clock; standard ones keep the enqueue time.
        copy = moved_copy(message, sent_ms=int(now * 1000) if target.fifo else None)
        copy.dead_letter_source_arn = queue.arn
        # AWS counts on: the first receive from the dead-letter queue reports maxReceiveCount + 1.
        copy.receive_count = message.receive_count
        copy.first_receive_ms = message.first_receive_ms
        if isinstance(target, FifoQueue):
            copy.sequence_number = target.next_sequence_number()
        target.add(copy, 0, now)
        self._arrivals[target].notify()
        return True

    def _render(
        self, queue: Queue, message: Message, handle: str, system_names: set[str], attribute_names: list[str] | None
    ) -> ReceivedMessage:
        attributes: dict[str, str] = {}
        if system_names:
            available = {
                "SenderId": message.sender_id,
                "SentTimestamp": str(message.sent_ms),
                "ApproximateReceiveCount": str(message.receive_count),
                "ApproximateFirstReceiveTimestamp": str(message.first_receive_ms),
                "SequenceNumber": message.sequence_number,
                "MessageDeduplicationId": message.dedup_id,
                "MessageGroupId": message.group_id,
                "AWSTraceHeader": message.trace_header,
                "DeadLetterQueueSourceArn": message.dead_letter_source_arn,
            }
            attributes = {k: v for k, v in available.items() if k in system_names and v is not None}
        chosen = filter_message_attributes(message.attributes, attribute_names or [])
        md5 = None
        if chosen:
            # The digest covers what is returned: the stored one when nothing was filtered out.
            md5 = message.md5_attributes if len(chosen) == len(message.attributes) else md5_of_attributes(chosen)
        return ReceivedMessage(message.id, handle, message.body, message.md5_body, attributes, chosen, md5)

    def _message_for_handle(self, queue: Queue, handle: str | None) -> tuple[str, Message | None]:
        if not handle:
            raise errors.MissingParameter("The request must contain the parameter ReceiptHandle.")
        message_id = parse_receipt_handle(handle, queue.arn)
        return message_id, queue.messages.get(message_id)

    def _delete(self, queue: Queue, handle: str | None) -> None:
        _, message = self._message_for_handle(queue, handle)
        if message is None:
            return  # already deleted or expired: AWS answers success
        if message.receipt_handle != handle:
            if queue.fifo:
                raise _expired_handle(handle)
            return  # a stale handle: AWS documents success without deleting
        if queue.fifo and message.state is not MessageState.INFLIGHT:
            raise _expired_handle(handle)
        queue.remove(message)
        if queue.fifo:
            self._arrivals[queue].notify_all()

    def _change_visibility(self, queue: Queue, handle: str | None, timeout: int | None) -> None:
        if timeout is None:
            raise errors.MissingParameter("The request must contain the parameter VisibilityTimeout.")
        _check_range("VisibilityTimeout", timeout, 0, MAX_VISIBILITY_TIMEOUT, "Must be between 0 and 43200.")
        _, message = self._message_for_handle(queue, handle)
        if message is None or message.receipt_handle != handle:
            raise errors.InvalidParameterValue(
                f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist "
                "or is not available for visibility timeout change."
            )
        if message.state is not MessageState.INFLIGHT:
            # Its visibility expired, but the handle is still its latest: AWS answers success and changes nothing.
            return
        now = self.clock.now()
        if now + timeout > message.received_at + MAX_VISIBILITY_TIMEOUT:
            # The 12-hour ceiling counts from the receive that handed out this handle.
            raise errors.InvalidParameterValue(
                f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout "
                f"for the message is beyond the limit [{MAX_VISIBILITY_TIMEOUT} seconds]"
            )
        queue.change_visibility(message, timeout, now)
        if timeout == 0:
            self._arrivals[queue].notify()

    def _progress_move_tasks(self) -> None:
        now = self.clock.now()
        for task in self.move_tasks.due():
            source = self._by_arn.get(task.source_arn)
            if source is None:
                task.fail("The source queue was deleted.")
                continue
            source.refresh(now)
            for message in source.visible_messages():
                if not task.may_move(now):
                    break
                destination_arn = task.destination_arn or message.dead_letter_source_arn
                destination = self._by_arn.get(destination_arn) if destination_arn else None
                if destination is None:
                    task.fail(errors.QueueDoesNotExist.query_code)  # what AWS reports as the FailureReason
                    break
                source.remove(message)
                copy = moved_copy(message, sent_ms=int(now * 1000))
                copy.dead_letter_source_arn = None
                if isinstance(destination, FifoQueue):
                    copy.sequence_number = destination.next_sequence_number()
                destination.add(copy, 0, now)
                self._arrivals[destination].notify()
                task.moved += 1
            task.finish_if_done()


def _check_fifo_batch(queue: Queue, entries: list[SendEntry]) -> None:
    """A FIFO batch missing a group id, or a deduplication id the queue needs, fails as a whole, as AWS fails it."""
    if any(entry.group_id is None for entry in entries):
        raise errors.InvalidParameterValue("The request must contain the parameter MessageGroupId.")
    if queue.attributes.get("ContentBasedDeduplication") != "true" and any(e.dedup_id is None for e in entries):
        raise _no_deduplication_id()


def _no_deduplication_id() -> errors.SqsError:
    return errors.InvalidParameterValue(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"
    )


def _expired_handle(handle: str | None) -> errors.SqsError:
    return errors.InvalidParameterValue(
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
    )


def _check_range(name: str, value: int, low: int, high: int, reason: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise errors.InvalidParameterValue(f"Value {value} for parameter {name} is invalid. Reason: {reason}")


def _check_group_or_dedup_id(name: str, value: str) -> None:
    if not 1 <= len(value) <= 128 or not set(value) <= _GROUP_OR_DEDUP_ID_CHARS:
        raise errors.InvalidParameterValue(
            f"Value {value} for parameter {name} is invalid. Reason: {name} can only include alphanumeric "
            "and punctuation characters. 1 to 128 in length."
        )


def _system_attribute_names(names: list[str]) -> set[str]:
    chosen = set()
    for name in names:
        if name == "All":
            chosen.update(SYSTEM_ATTRIBUTES)
        elif name in SYSTEM_ATTRIBUTES:
            chosen.add(name)
        elif not queue_attributes.is_known(name):
            raise errors.InvalidAttributeName(f"Unknown Attribute {name}.")
    return chosen


def _validate_tags(tags: dict[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise errors.InvalidParameterValue(f"Too many tags: at most {MAX_TAGS} tags per queue.")
    for key, value in tags.items():
        if not key or len(key) > 128 or value is None or len(value) > 256:
            raise errors.InvalidParameterValue(
                "Tag keys must be 1 to 128 characters and tag values at most 256 characters."
            )


def _failure(entry_id: str, exc: errors.SqsError) -> BatchFailure:
    return BatchFailure(entry_id, exc.query_code, exc.message, exc.sender_fault)


def _paginate(items: list[str], max_results: int | None, token: str | None, limit: int, name: str):
    if max_results is not None:
        _check_range(name, max_results, 1, limit, f"Must be between 1 and {limit}.")
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token, validate=True).decode())
        except (ValueError, binascii.Error):
            raise errors.InvalidParameterValue("Invalid NextToken value.") from None
    if max_results is None:
        return items[start : start + limit], None
    page = items[start : start + max_results]
    more = start + max_results < len(items)
    return page, base64.b64encode(str(start + max_results).encode()).decode() if more else None


def _stopping() -> errors.ServiceUnavailable:
    return errors.ServiceUnavailable("The emulator is shutting down; retry against a running one.")
