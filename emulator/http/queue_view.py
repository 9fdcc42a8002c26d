"""A look at queues for people (the failure report): counts and the newest messages.

Like GetQueueAttributes it first applies what is due by the clock (visibility ends, delays,
retention), so counts are what a client would see; unlike ReceiveMessage it changes no message.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from cloudtwin.sqs.message import MessageState

if TYPE_CHECKING:
    from cloudtwin.sqs.backend import SqsBackend

_STATES = {MessageState.VISIBLE: "visible", MessageState.INFLIGHT: "in flight", MessageState.DELAYED: "delayed"}
BODY_PREVIEW_CHARS = 60


def describe_queues(backend: SqsBackend, names: set[str], newest: int = 3) -> list[dict]:
    """Every queue called one of `names` (in any region and account), with its newest `newest` messages."""
    return backend.inspect_queues(names, lambda queue: _describe(queue, newest))


def _describe(queue, newest: int) -> dict:
    visible, in_flight, delayed = (queue.counts[state] for state in _STATES)
    messages = [
        {
            "id": message.id,
            "state": _STATES.get(message.state, "gone"),
            "receive_count": message.receive_count,
            "body": message.body[:BODY_PREVIEW_CHARS],
            "body_chars": len(message.body),
            "group": message.group_id,
        }
        for message in islice(reversed(queue.messages.values()), newest)
    ]
    return {
        "name": queue.name,
        "region": queue.region,
        "account": queue.account,
        "fifo": queue.fifo,
        "visible": visible,
        "in_flight": in_flight,
        "delayed": delayed,
        "newest_messages": messages,
    }
