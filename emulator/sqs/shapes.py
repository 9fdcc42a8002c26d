"""Input shapes of every SQS action, and the one place request values are checked for type.

Both wires hand over nested plain data (the JSON protocol parses it, the Query protocol
unflattens `Attribute.1.Name`-style keys into the same structure); this module turns it
into typed values or raises the wire's error for malformed input.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from cloudtwin.sqs import errors
from cloudtwin.sqs.message import MessageAttributeValue

# Numbers sent as text: digits only (int() would also take "1_000" and " 5 ", and fail on 5,000 digits).
_DECIMAL = re.compile(r"[-+]?[0-9]{1,18}")

STRING, INTEGER, STRING_LIST, STRING_MAP, ATTRIBUTE_MAP = "string", "integer", "string_list", "string_map", "attrs"

SEND_ENTRY = {
    "Id": STRING, "MessageBody": STRING, "DelaySeconds": INTEGER, "MessageAttributes": ATTRIBUTE_MAP,
    "MessageSystemAttributes": ATTRIBUTE_MAP, "MessageDeduplicationId": STRING, "MessageGroupId": STRING,
}  # fmt: skip
DELETE_ENTRY = {"Id": STRING, "ReceiptHandle": STRING}
VISIBILITY_ENTRY = {"Id": STRING, "ReceiptHandle": STRING, "VisibilityTimeout": INTEGER}

INPUTS: dict[str, dict[str, Any]] = {
    "AddPermission": {"QueueUrl": STRING, "Label": STRING, "AWSAccountIds": STRING_LIST, "Actions": STRING_LIST},
    "CancelMessageMoveTask": {"TaskHandle": STRING},
    "ChangeMessageVisibility": {"QueueUrl": STRING, "ReceiptHandle": STRING, "VisibilityTimeout": INTEGER},
    "ChangeMessageVisibilityBatch": {"QueueUrl": STRING, "Entries": [VISIBILITY_ENTRY]},
    "CreateQueue": {"QueueName": STRING, "Attributes": STRING_MAP, "tags": STRING_MAP},
    "DeleteMessage": {"QueueUrl": STRING, "ReceiptHandle": STRING},
    "DeleteMessageBatch": {"QueueUrl": STRING, "Entries": [DELETE_ENTRY]},
    "DeleteQueue": {"QueueUrl": STRING},
    "GetQueueAttributes": {"QueueUrl": STRING, "AttributeNames": STRING_LIST},
    "GetQueueUrl": {"QueueName": STRING, "QueueOwnerAWSAccountId": STRING},
    "ListDeadLetterSourceQueues": {"QueueUrl": STRING, "NextToken": STRING, "MaxResults": INTEGER},
    "ListMessageMoveTasks": {"SourceArn": STRING, "MaxResults": INTEGER},
    "ListQueueTags": {"QueueUrl": STRING},
    "ListQueues": {"QueueNamePrefix": STRING, "NextToken": STRING, "MaxResults": INTEGER},
    "PurgeQueue": {"QueueUrl": STRING},
    "ReceiveMessage": {
        "QueueUrl": STRING,
        "AttributeNames": STRING_LIST,
        "MessageSystemAttributeNames": STRING_LIST,
        "MessageAttributeNames": STRING_LIST,
        "MaxNumberOfMessages": INTEGER,
        "VisibilityTimeout": INTEGER,
        "WaitTimeSeconds": INTEGER,
        "ReceiveRequestAttemptId": STRING,
    },  # fmt: skip
    "RemovePermission": {"QueueUrl": STRING, "Label": STRING},
    "SendMessage": {"QueueUrl": STRING, **{k: v for k, v in SEND_ENTRY.items() if k != "Id"}},
    "SendMessageBatch": {"QueueUrl": STRING, "Entries": [SEND_ENTRY]},
    "SetQueueAttributes": {"QueueUrl": STRING, "Attributes": STRING_MAP},
    "StartMessageMoveTask": {"SourceArn": STRING, "DestinationArn": STRING, "MaxNumberOfMessagesPerSecond": INTEGER},
    "TagQueue": {"QueueUrl": STRING, "Tags": STRING_MAP},
    "UntagQueue": {"QueueUrl": STRING, "TagKeys": STRING_LIST},
}

# Members AWS's API model requires, in its order: a request without one gets MissingParameter.
# A batch's Entries are left to the batch rules (EmptyBatchRequest), as AWS answers.
REQUIRED: dict[str, tuple[str, ...]] = {
    "AddPermission": ("QueueUrl", "Label", "AWSAccountIds", "Actions"),
    "CancelMessageMoveTask": ("TaskHandle",),
    "ChangeMessageVisibility": ("QueueUrl", "ReceiptHandle", "VisibilityTimeout"),
    "CreateQueue": ("QueueName",),
    "DeleteMessage": ("QueueUrl", "ReceiptHandle"),
    "GetQueueUrl": ("QueueName",),
    "ListMessageMoveTasks": ("SourceArn",),
    "RemovePermission": ("QueueUrl", "Label"),
    "SendMessage": ("QueueUrl", "MessageBody"),
    "SetQueueAttributes": ("QueueUrl", "Attributes"),
    "StartMessageMoveTask": ("SourceArn",),
    "TagQueue": ("QueueUrl", "Tags"),
    "UntagQueue": ("QueueUrl", "TagKeys"),
    **{
        action: ("QueueUrl",)
        for action in (
            "ChangeMessageVisibilityBatch",
            "DeleteMessageBatch",
            "DeleteQueue",
            "GetQueueAttributes",
            "ListDeadLetterSourceQueues",
            "ListQueueTags",
            "PurgeQueue",
            "ReceiveMessage",
            "SendMessageBatch",
        )
    },  # fmt: skip
}


def check_required(action: str, params: dict) -> None:
    for member in REQUIRED.get(action, ()):
        if member not in params:
            raise errors.MissingParameter(f"The request must contain the parameter {member}.")


def coerce(action: str, raw: dict, numbers_as_text: bool, malformed: type[errors.SqsError]) -> dict:
    """Typed parameters of `action`; unknown members are ignored, as AWS ignores them.

    `numbers_as_text`: the Query protocol sends every number as text.
    `malformed`: the error class a wrongly typed value raises on this wire.
    """
    if not isinstance(raw, dict):
        raise malformed("The request body must be an object.")
    return _structure(INPUTS[action], raw, "", numbers_as_text, malformed)


def _structure(shape: dict, raw: dict, path: str, numbers_as_text: bool, malformed) -> dict:
    params = {}
    for member, value in raw.items():
        kind = shape.get(member)
        if kind is None or value is None:
            continue
        # Plain strings are most members of most requests: take them without a call.
        params[member] = (
            value
            if kind == STRING and type(value) is str
            else _value(kind, value, f"{path}{member}", numbers_as_text, malformed)
        )
    return params


def _value(kind, value, path: str, numbers_as_text: bool, malformed):
    if isinstance(kind, list):
        if not isinstance(value, list):
            raise malformed(f"{path} must be a list.")
        entries = []
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                raise malformed(f"{path}[{index}] must be an object.")
            entries.append(_structure(kind[0], item, f"{path}[{index}].", numbers_as_text, malformed))
        return entries
    if kind == STRING:
        if not isinstance(value, str):
            raise malformed(f"{path} must be a string.")
        return value
    if kind == INTEGER:
        return _integer(value, path, numbers_as_text, malformed)
    if kind == STRING_LIST:
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise malformed(f"{path} must be a list of strings.")
        return value
    if kind == STRING_MAP:
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise malformed(f"{path} must be a map of strings.")
        return value
    if kind == ATTRIBUTE_MAP:
        if not isinstance(value, dict):
            raise malformed(f"{path} must be a map.")
        return {name: _attribute(name, item, path, malformed) for name, item in value.items()}
    raise AssertionError(kind)


def _integer(value, path: str, numbers_as_text: bool, malformed) -> int:
    if isinstance(value, bool):
        raise malformed(f"{path} must be an integer.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if numbers_as_text and isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value)
    raise malformed(f"Value {value} for parameter {path} is invalid. Reason: must be an integer.")


def _attribute(name: str, raw, path: str, malformed) -> MessageAttributeValue:
    if not isinstance(raw, dict):
        raise malformed(f"{path}.{name} must be an object.")
    data_type = raw.get("DataType")
    string_value = raw.get("StringValue")
    binary_value = raw.get("BinaryValue")
    if data_type is not None and not isinstance(data_type, str):
        raise malformed(f"{path}.{name}.DataType must be a string.")
    if string_value is not None and not isinstance(string_value, str):
        raise malformed(f"{path}.{name}.StringValue must be a string.")
    if binary_value is not None:
        if isinstance(binary_value, str):
            try:
                binary_value = base64.b64decode(binary_value, validate=True)
            except (binascii.Error, ValueError):
                raise malformed(f"{path}.{name}.BinaryValue is not valid base64.") from None
        elif not isinstance(binary_value, bytes):
            raise malformed(f"{path}.{name}.BinaryValue must be base64 text.")
    return MessageAttributeValue(data_type or "", string_value, binary_value)
