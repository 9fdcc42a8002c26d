"""moto's other services deliver to cloudtwin's queues: SNS subscriptions, EventBridge targets, S3 notifications.

Those services hand messages to moto's own SQS backend (`sqs_backends[account][region]`), which
cloudtwin never serves: the queues clients create live in emulator.sqs. While an emulator runs, the
places where they deliver (SNS's subscribe and publish, EventBridge's SQS target, S3's queue
notification) are wrapped so that, inside them only, the three methods they call on moto's
SQSBackend (`get_queue`, `get_queue_attributes`, `send_message`) reach cloudtwin's SqsBackend for the
same account, region and queue name. Everywhere else moto's SQS is untouched, so moto's own
`mock_aws` keeps working in the same process. Stopping the last emulator puts everything back.

As in AWS, a delivery that fails (queue deleted, FIFO ids missing) does not fail the publisher's
call; it is logged.
"""

from __future__ import annotations

import base64
import functools
import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudtwin.sqs.backend import SendEntry, SqsBackend
from cloudtwin.sqs.errors import QueueDoesNotExist, SqsError
from cloudtwin.sqs.message import MessageAttributeValue
from cloudtwin.sqs.naming import RequestContext, queue_url

log = logging.getLogger(__name__)

# Delivery never hands a URL back to a client, so its host part is never seen.
_INTERNAL_ENDPOINT = "http://cloudtwin.internal"
# (module, class or None for a module function, attribute): where moto's services deliver to SQS.
_DELIVERY_POINTS = (
    ("moto.sns.models", "SNSBackend", "subscribe"),
    ("moto.sns.models", "Subscription", "publish"),
    ("moto.events.models", "Rule", "_send_to_sqs_queue"),
    ("moto.s3.notifications", None, "_send_sqs_message"),
)

_lock = threading.Lock()
# Emulators running in this process, newest last: deliveries go to the newest one's queues.
_backends: list[SqsBackend] = []
# (owner, attribute, what was there) for every patch, to put back.
_replaced: list[tuple[Any, str, Any]] = []
_delivering = threading.local()


@dataclass(frozen=True)
class QueueView:
    """What moto's services read of a queue: SNS refuses FIFO queues on standard topics."""

    name: str
    fifo_queue: bool


def install(sqs: SqsBackend) -> None:
    with _lock:
        if not _backends:
            _patch()
        _backends.append(sqs)


def uninstall(sqs: SqsBackend) -> None:
    with _lock:
        if sqs not in _backends:
            return
        _backends.remove(sqs)
        if not _backends:
            for owner, name, original in reversed(_replaced):
                setattr(owner, name, original)
            _replaced.clear()


def _patch() -> None:
    from moto.sqs.models import SQSBackend

    for module_name, class_name, name in _DELIVERY_POINTS:
        module = importlib.import_module(module_name)
        owner = getattr(module, class_name) if class_name else module
        _replace(owner, name, _as_delivery(getattr(owner, name)))
    for name, bridged in (
        ("get_queue", _get_queue),
        ("get_queue_attributes", _get_queue_attributes),
        ("send_message", _send_message),
    ):
        _replace(SQSBackend, name, _while_delivering(bridged, SQSBackend.__dict__[name]))


def _replace(owner: Any, name: str, replacement: Any) -> None:
    _replaced.append((owner, name, owner.__dict__[name]))
    setattr(owner, name, replacement)


def _as_delivery(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def delivering(*args: Any, **kwargs: Any) -> Any:
        depth = getattr(_delivering, "depth", 0)
        _delivering.depth = depth + 1
        try:
            return original(*args, **kwargs)
        finally:
            _delivering.depth = depth

    return delivering


def _while_delivering(bridged: Callable[..., Any], original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_delivering, "depth", 0):
            return bridged(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    return method


def _target(moto_backend: Any, queue_name: str) -> tuple[SqsBackend, RequestContext, str]:
    with _lock:
        sqs = _backends[-1]
    region, account = moto_backend.region_name, moto_backend.account_id
    ctx = RequestContext(region=region, account=account, endpoint=_INTERNAL_ENDPOINT)
    return sqs, ctx, queue_url(_INTERNAL_ENDPOINT, region, account, queue_name)


def _get_queue(self: Any, queue_name: str) -> QueueView:
    return QueueView(queue_name, _attributes_of(self, queue_name).get("FifoQueue") == "true")


def _get_queue_attributes(self: Any, queue_name: str, attribute_names: list[str]) -> dict[str, str]:
    attributes = _attributes_of(self, queue_name)
    # moto's callers read FIFO attributes of standard queues too, and expect "false" there.
    return {name: attributes.get(name, "false") for name in attribute_names}


def _attributes_of(moto_backend: Any, queue_name: str) -> dict[str, str]:
    """Every attribute of the queue, or moto's own QueueDoesNotExist, which its callers catch."""
    from moto.sqs.exceptions import QueueDoesNotExist as MotoQueueDoesNotExist

    sqs, ctx, url = _target(moto_backend, queue_name)
    try:
        return sqs.get_queue_attributes(ctx, url, ["All"])
    except QueueDoesNotExist:
        raise MotoQueueDoesNotExist() from None


def _send_message(
    self: Any,
    queue_name: str,
    message_body: str,
    message_attributes: dict[str, Any] | None = None,
    delay_seconds: int | None = None,
    deduplication_id: str | None = None,
    group_id: str | None = None,
    system_attributes: dict[str, Any] | None = None,
    validate_group_id: bool = True,
) -> None:
    sqs, ctx, url = _target(self, queue_name)
    entry = SendEntry(
        id="delivery",
        body=message_body,
        delay_seconds=delay_seconds,
        message_attributes=_attributes(message_attributes or {}),
        group_id=group_id,
        dedup_id=deduplication_id,
    )
    try:
        sqs.send_message(ctx, url, entry)
    except SqsError as exc:
        log.warning("delivery to queue %s in %s/%s failed: %s", queue_name, ctx.account, ctx.region, exc)


def _attributes(moto_attributes: dict[str, Any]) -> dict[str, MessageAttributeValue]:
    """moto's {"DataType", "StringValue" | "BinaryValue"} attributes as cloudtwin's (binary values arrive base64)."""
    converted = {}
    for name, value in moto_attributes.items():
        binary = value.get("BinaryValue")
        if isinstance(binary, str):
            binary = base64.b64decode(binary)
        converted[name] = MessageAttributeValue(value["DataType"], value.get("StringValue"), binary)
    return converted
