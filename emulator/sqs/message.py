"""Messages: their validation, their MD5 digests, and their life-cycle state."""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import IntEnum

from cloudtwin.sqs import errors

MAX_MESSAGE_ATTRIBUTES = 10
# Alphanumeric in Unicode's sense (AWS takes "attr.1øßä"), hyphen, underscore, period.
_ATTRIBUTE_NAME = re.compile(r"[\w.\-]{1,256}")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\.[^\s]{1,250})?")
# SQS's allowed characters: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
_INVALID_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_STRING_TRANSPORT = 1
_BINARY_TRANSPORT = 2

try:
    # CPython's own MD5 starts in half the time OpenSSL's does, which is most of the cost for a small body;
    # OpenSSL's is the faster from a few KiB on.
    from _md5 import md5 as _small_md5
except ImportError:  # a Python built without it
    _small_md5 = hashlib.md5
_SMALL_BODY = 2048


@dataclass(frozen=True, slots=True)
class MessageAttributeValue:
    data_type: str
    string_value: str | None = None
    binary_value: bytes | None = None

    @property
    def base_type(self) -> str:
        return self.data_type.split(".", 1)[0]

    def size(self, name: str) -> int:
        value = self.binary_value if self.binary_value is not None else (self.string_value or "").encode()
        return len(name.encode()) + len(self.data_type.encode()) + len(value)


class MessageState(IntEnum):
    """Where a message is in its life; the first three are counted per queue, by value."""

    DELAYED = 0
    VISIBLE = 1
    INFLIGHT = 2
    GONE = 3


# A module constant: reading an enum member off its class costs ten times as much on Python 3.11.
_VISIBLE = MessageState.VISIBLE


class Message:
    """One message in one queue. Mutable state is changed only by its queue."""

    __slots__ = (
        "id", "body", "attributes", "md5_body", "md5_attributes", "trace_header", "md5_system",
        "sent_ms", "sender_id", "group_id", "dedup_id", "sequence_number", "size",
        "receive_count", "first_receive_ms", "received_at", "state", "visible_at", "version", "receipt_handle",
        "dead_letter_source_arn",
    )  # fmt: skip

    def __init__(
        self,
        id: str,  # noqa: A002 - the SQS field name
        body: str,
        attributes: dict[str, MessageAttributeValue],
        trace_header: str | None,
        sent_ms: int,
        sender_id: str,
        group_id: str | None,
        dedup_id: str | None,
        sequence_number: str | None,
        size: int | None = None,
    ) -> None:
        self.id = id
        self.body = body
        self.attributes = attributes
        self.md5_body = md5_of_body(body)
        self.md5_attributes = md5_of_attributes(attributes) if attributes else None
        self.trace_header = trace_header
        self.md5_system = (
            md5_of_attributes({"AWSTraceHeader": MessageAttributeValue("String", trace_header)})
            if trace_header
            else None
        )
        self.sent_ms = sent_ms
        self.sender_id = sender_id
        self.group_id = group_id
        self.dedup_id = dedup_id
        self.sequence_number = sequence_number
        self.size = message_size(body, attributes) if size is None else size
        self.receive_count = 0
        self.first_receive_ms: int | None = None
        self.received_at = 0.0
        self.state = _VISIBLE
        self.visible_at = 0.0
        self.version = 0
        self.receipt_handle: str | None = None
        self.dead_letter_source_arn: str | None = None


def md5_of_body(body: str) -> str:
    encoded = body.encode("utf-8")
    return (_small_md5 if len(encoded) < _SMALL_BODY else hashlib.md5)(encoded).hexdigest()


def md5_of_attributes(attributes: dict[str, MessageAttributeValue]) -> str:
    """The digest SQS documents: per attribute sorted by name, length-prefixed name, type, value."""
    digest = hashlib.md5()
    for name in sorted(attributes):
        value = attributes[name]
        for part in (name.encode(), value.data_type.encode()):
            digest.update(struct.pack(">I", len(part)) + part)
        if value.binary_value is not None:
            digest.update(bytes([_BINARY_TRANSPORT]))
            payload = value.binary_value
        else:
            digest.update(bytes([_STRING_TRANSPORT]))
            payload = (value.string_value or "").encode()
        digest.update(struct.pack(">I", len(payload)) + payload)
    return digest.hexdigest()


def message_size(body: str | None, attributes: dict[str, MessageAttributeValue]) -> int:
    size = len(body.encode("utf-8")) if body else 0
    if attributes:
        size += sum(value.size(name) for name, value in attributes.items())
    return size


def validate_body(body: str | None) -> str:
    if body is None or body == "":
        raise errors.MissingParameter("The request must contain the parameter MessageBody.")
    if _INVALID_CHARS.search(body):
        raise errors.InvalidMessageContents(
            "Invalid characters found. Valid values are #x9 | #xA | #xD | #x20 to #xD7FF | "
            "#xE000 to #xFFFD | #x10000 to #x10FFFF"
        )
    return body


def validate_attributes(attributes: dict[str, MessageAttributeValue]) -> None:
    if len(attributes) > MAX_MESSAGE_ATTRIBUTES:
        raise errors.InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}]."
        )
    for name, value in attributes.items():
        validate_attribute_name(name)
        _validate_attribute_value(name, value)


def validate_attribute_name(name: str) -> None:
    lowered = name.lower()
    if (
        not _ATTRIBUTE_NAME.fullmatch(name)
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
        or lowered.startswith(("aws.", "amazon."))
    ):
        raise errors.InvalidParameterValue(
            f"Message attribute name '{name}' is invalid. Names can contain alphanumeric characters, "
            "hyphens, underscores and periods, up to 256 characters; they cannot start or end with "
            "a period, contain consecutive periods, or start with 'AWS.' or 'Amazon.'."
        )


def _validate_attribute_value(name: str, value: MessageAttributeValue) -> None:
    if not value.data_type:
        raise errors.InvalidParameterValue(
            f"The message attribute '{name}' must contain non-empty message attribute type."
        )
    if not _DATA_TYPE.fullmatch(value.data_type) or len(value.data_type) > 256:
        raise errors.InvalidParameterValue(
            f"The type of message attribute '{name}' is invalid. You must use only the following "
            "supported type prefixes: Binary, Number, String."
        )
    if value.base_type == "Binary":
        if value.binary_value is None or value.string_value is not None:
            raise errors.InvalidParameterValue(
                f"The message attribute '{name}' with type 'Binary' must use field 'Binary'."
            )
        if not value.binary_value:
            raise errors.InvalidParameterValue(
                f"The message attribute '{name}' must contain non-empty message attribute value."
            )
        return
    if value.string_value is None or value.binary_value is not None:
        raise errors.InvalidParameterValue(
            f"The message attribute '{name}' with type '{value.base_type}' must use field 'String'."
        )
    if value.string_value == "":
        raise errors.InvalidParameterValue(
            f"Message (user) attribute '{name}' must contain a non-empty value of type '{value.base_type}'."
        )
    if _INVALID_CHARS.search(value.string_value):
        raise errors.InvalidParameterValue(f"The message attribute '{name}' contains characters that are not allowed.")
    if value.base_type == "Number":
        _validate_number(name, value.string_value)


def _validate_number(name: str, raw: str) -> None:
    try:
        number = Decimal(raw.strip())
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise errors.InvalidParameterValue(f"Can't cast the value of message (user) attribute '{name}' to a number.")
    digits = "".join(map(str, number.as_tuple().digits)).strip("0")
    if len(digits) > 38 or not (Decimal("-1e128") <= number <= Decimal("1e126")):
        raise errors.InvalidParameterValue(
            f"Value {raw} for message attribute '{name}' is out of range: numbers can have up to 38 "
            "digits of precision and lie between -10^128 and 10^126."
        )


def filter_message_attributes(
    attributes: dict[str, MessageAttributeValue], requested: list[str]
) -> dict[str, MessageAttributeValue]:
    """Select attributes by name, `All`, `*`, `.*`, or `prefix.*`, as AWS answers them.

    `Hel.*` takes every name starting with `Hel` (`Hello`, `Help.Me`): the `.*` is a pattern, not a period.
    """
    if not requested or not attributes:
        return {}
    if "All" in requested or ".*" in requested or "*" in requested:
        return dict(attributes)
    chosen = {}
    prefixes = tuple(name[:-2] for name in requested if name.endswith(".*"))
    for name, value in attributes.items():
        if name in requested or (prefixes and name.startswith(prefixes)):
            chosen[name] = value
    return chosen


def moved_copy(message: Message, sent_ms: int | None = None) -> Message:
    """The same message (id, body, attributes) as a new entry in another queue."""
    copy = Message(
        message.id,
        message.body,
        message.attributes,
        message.trace_header,
        message.sent_ms if sent_ms is None else sent_ms,
        message.sender_id,
        message.group_id,
        message.dedup_id,
        None,
    )
    copy.dead_letter_source_arn = message.dead_letter_source_arn
    return copy
