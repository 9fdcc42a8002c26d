"""Queue attributes: names, ranges, defaults and the rules AWS documents for each."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from cloudtwin.sqs import errors

READ_ONLY = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
)
MAX_RECEIVE_COUNT = 1000


@dataclass(frozen=True)
class AttributeSpec:
    normalize: Callable[[str, str], str]
    default: str | None
    fifo_only: bool = False


def _integer(low: int, high: int) -> Callable[[str, str], str]:
    def normalize(name: str, raw: str) -> str:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise errors.InvalidAttributeValue(f"Invalid value for the parameter {name}.") from None
        if not low <= value <= high:
            raise errors.InvalidAttributeValue(
                f"Invalid value for the parameter {name}. Reason: must be between {low} and {high}."
            )
        return str(value)

    return normalize


def _boolean(name: str, raw: str) -> str:
    lowered = str(raw).strip().lower()
    if lowered not in ("true", "false"):
        raise errors.InvalidAttributeValue(f"Invalid value for the parameter {name}.")
    return lowered


def _choice(*allowed: str) -> Callable[[str, str], str]:
    def normalize(name: str, raw: str) -> str:
        if raw not in allowed:
            raise errors.InvalidAttributeValue(
                f"Invalid value for the parameter {name}. Reason: must be one of {', '.join(allowed)}."
            )
        return raw

    return normalize


def _text(name: str, raw: str) -> str:
    return str(raw)


def _policy(name: str, raw: str) -> str:
    if raw == "":
        return raw
    try:
        document = json.loads(raw)
    except ValueError:
        raise errors.InvalidAttributeValue(f"Invalid value for the parameter {name}. Reason: not valid JSON.") from None
    if not isinstance(document, dict):
        raise errors.InvalidAttributeValue(f"Invalid value for the parameter {name}. Reason: must be a JSON object.")
    return raw


def _redrive_policy(name: str, raw: str) -> str:
    """Shape only; whether the target exists and has the right type is checked by the backend."""
    if raw == "":
        return raw
    policy = _json_object(name, raw)
    target = policy.get("deadLetterTargetArn")
    count = policy.get("maxReceiveCount")
    if not isinstance(target, str) or not target:
        raise errors.InvalidParameterValue(
            f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Redrive policy does not "
            "contain mandatory attribute: deadLetterTargetArn."
        )
    try:
        count = int(count)
    except (TypeError, ValueError):
        raise errors.InvalidParameterValue(
            f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Redrive policy does not "
            "contain mandatory attribute: maxReceiveCount."
        ) from None
    if not 1 <= count <= MAX_RECEIVE_COUNT:
        raise errors.InvalidParameterValue(
            f"Value {raw} for parameter RedrivePolicy is invalid. Reason: Invalid value for "
            f"maxReceiveCount: {count}, valid values are from 1 to {MAX_RECEIVE_COUNT} both inclusive."
        )
    return json.dumps({"deadLetterTargetArn": target, "maxReceiveCount": count}, separators=(",", ":"))


def _redrive_allow_policy(name: str, raw: str) -> str:
    if raw == "":
        return raw
    policy = _json_object(name, raw)
    permission = policy.get("redrivePermission")
    sources = policy.get("sourceQueueArns")
    reason = None
    if permission not in ("allowAll", "denyAll", "byQueue"):
        reason = "redrivePermission must be one of allowAll, denyAll, byQueue"
    elif permission == "byQueue":
        if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
            reason = "sourceQueueArns must list 1 to 10 queue ARNs when redrivePermission is byQueue"
        elif len(sources) > 10:
            reason = "sourceQueueArns can name at most 10 queues"
    elif sources:
        reason = "sourceQueueArns is only allowed when redrivePermission is byQueue"
    if reason:
        raise errors.InvalidParameterValue(
            f"Value {raw} for parameter RedriveAllowPolicy is invalid. Reason: {reason}."
        )
    normalized = {"redrivePermission": permission}
    if permission == "byQueue":
        normalized["sourceQueueArns"] = sources
    return json.dumps(normalized, separators=(",", ":"))


def _json_object(name: str, raw: str) -> dict:
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise errors.InvalidParameterValue(f"Value {raw} for parameter {name} is invalid. Reason: Invalid JSON object.")
    return value


SPECS: dict[str, AttributeSpec] = {
    "DelaySeconds": AttributeSpec(_integer(0, 900), "0"),
    "MaximumMessageSize": AttributeSpec(_integer(1024, 1048576), "1048576"),
    "MessageRetentionPeriod": AttributeSpec(_integer(60, 1209600), "345600"),
    "ReceiveMessageWaitTimeSeconds": AttributeSpec(_integer(0, 20), "0"),
    "VisibilityTimeout": AttributeSpec(_integer(0, 43200), "30"),
    "Policy": AttributeSpec(_policy, None),
    "RedrivePolicy": AttributeSpec(_redrive_policy, None),
    "RedriveAllowPolicy": AttributeSpec(_redrive_allow_policy, None),
    "KmsMasterKeyId": AttributeSpec(_text, None),
    "KmsDataKeyReusePeriodSeconds": AttributeSpec(_integer(60, 86400), "300"),
    "SqsManagedSseEnabled": AttributeSpec(_boolean, "true"),
    "FifoQueue": AttributeSpec(_boolean, None),
    "ContentBasedDeduplication": AttributeSpec(_boolean, "false", fifo_only=True),
    "DeduplicationScope": AttributeSpec(_choice("messageGroup", "queue"), "queue", fifo_only=True),
    "FifoThroughputLimit": AttributeSpec(_choice("perQueue", "perMessageGroupId"), "perQueue", fifo_only=True),
}


# FIFO-only attributes that AWS refuses on a standard queue with a message of their own
# (ContentBasedDeduplication is simply unknown there).
_FIFO_SETTINGS = ("DeduplicationScope", "FifoThroughputLimit")


def normalize(attributes: dict[str, str], fifo: bool, creating: bool) -> dict[str, str]:
    """Check names and values; return them in canonical form. Empty strings mean "remove".

    A standard queue knows no FIFO attribute, not even `FifoQueue=false`; a FIFO queue takes
    `FifoQueue=true` again (a no-op) but never a change of type.
    """
    result = {}
    for name, raw in attributes.items():
        spec = SPECS.get(name)
        if spec is None or ((spec.fifo_only or name == "FifoQueue") and not fifo):
            if name in _FIFO_SETTINGS:
                raise errors.InvalidAttributeName(f"You can specify the {name} only when FifoQueue is set to true.")
            raise errors.InvalidAttributeName(f"Unknown Attribute {name}.")
        if raw is None:
            raise errors.InvalidAttributeValue(f"Invalid value for the parameter {name}.")
        if name == "FifoQueue" and not creating:
            if str(raw).strip().lower() != "true":
                raise errors.InvalidAttributeValue(
                    "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
                )
            continue
        result[name] = spec.normalize(name, str(raw))
    if result.get("KmsMasterKeyId") and result.get("SqsManagedSseEnabled") == "true":
        raise errors.InvalidAttributeName(
            "You can use one type of server-side encryption (SSE) at one time. "
            "You can either enable KMS SSE or SQS SSE."
        )
    return result


def defaults(fifo: bool) -> dict[str, str]:
    return {
        name: spec.default for name, spec in SPECS.items() if spec.default is not None and (fifo or not spec.fifo_only)
    }


def is_known(name: str) -> bool:
    return name in SPECS or name in READ_ONLY


# The order in which AWS lists a queue's attributes (GetQueueAttributes answers on both wires).
RESPONSE_ORDER = (
    "QueueArn",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "Policy",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
    "FifoQueue",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "ContentBasedDeduplication",
)
