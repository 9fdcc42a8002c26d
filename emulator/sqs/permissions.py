"""AddPermission / RemovePermission: statements in the queue's Policy document, keyed by label."""

from __future__ import annotations

import json
import re

from cloudtwin.sqs import errors

_LABEL = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ACTIONS = {
    "*", "SendMessage", "ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility",
    "GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "PurgeQueue",
    "ListQueueTags", "ListMessageMoveTasks", "StartMessageMoveTask", "CancelMessageMoveTask",
}  # fmt: skip


def add_permission(
    policy: str | None, queue_arn: str, label: str | None, accounts: list[str], actions: list[str]
) -> str:
    if not label:
        raise errors.MissingParameter("The request must contain the parameter Label.")
    if not _LABEL.fullmatch(label):
        raise errors.InvalidParameterValue(
            f"Value {label} for parameter Label is invalid. Reason: Can only include alphanumeric characters, "
            "hyphens, or underscores. 1 to 80 in length."
        )
    if not accounts:
        raise errors.MissingParameter("The request must contain the parameter AWSAccountIds.")
    if not actions:
        raise errors.MissingParameter("The request must contain the parameter Actions.")
    for action in actions:
        if action not in _ACTIONS:
            raise errors.InvalidParameterValue(
                f"Value SQS:{action} for parameter ActionName is invalid. Reason: Only the queue owner is "
                "allowed to invoke this action."
            )
    document = _load(policy) or {"Version": "2008-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": []}
    if any(statement.get("Sid") == label for statement in document["Statement"]):
        raise errors.InvalidParameterValue(f"Value {label} for parameter Label is invalid. Reason: Already exists.")
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    names = [f"SQS:{action}" for action in actions]
    document["Statement"].append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": names[0] if len(names) == 1 else names,
            "Resource": queue_arn,
        }
    )
    return json.dumps(document, separators=(",", ":"))


def remove_permission(policy: str | None, label: str | None) -> str | None:
    """The policy without the labelled statement; None when no statement is left."""
    if not label:
        raise errors.MissingParameter("The request must contain the parameter Label.")
    document = _load(policy)
    statements = document.get("Statement", []) if document else []
    kept = [statement for statement in statements if statement.get("Sid") != label]
    if len(kept) == len(statements):
        raise errors.InvalidParameterValue(f"Value {label} for parameter Label is invalid. Reason: can't find label.")
    if not kept:
        return None
    document["Statement"] = kept
    return json.dumps(document, separators=(",", ":"))


def _load(policy: str | None) -> dict | None:
    if not policy:
        return None
    document = json.loads(policy)
    if not isinstance(document.get("Statement"), list):
        document["Statement"] = [document["Statement"]] if document.get("Statement") else []
    return document
