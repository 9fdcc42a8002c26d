"""Every SQS action as one function: typed parameters in, output members out.

Both wires call `run`; neither knows any rule of SQS. Output dicts use the member names of
AWS's API model; values are str, int, bool, list, dict or MessageAttributeValue.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudtwin.sqs import errors, shapes
from cloudtwin.sqs.backend import BatchFailure, SendEntry, SendResult, SqsBackend
from cloudtwin.sqs.naming import RequestContext

Action = Callable[[SqsBackend, RequestContext, dict], dict]
ACTIONS: dict[str, Action] = {}


def run(backend: SqsBackend, ctx: RequestContext, action: str, params: dict) -> dict:
    shapes.check_required(action, params)
    return ACTIONS[action](backend, ctx, params)


def _action(function: Action) -> Action:
    name = "".join(part.capitalize() for part in function.__name__.split("_"))
    ACTIONS[name] = function
    return function


def _send_entry(ctx: RequestContext, params: dict, entry_id: str = "") -> SendEntry:
    system = params.get("MessageSystemAttributes")
    trace = None
    if system:
        unknown = set(system) - {"AWSTraceHeader"}
        if unknown:
            raise errors.InvalidParameterValue(
                f"Message system attribute name '{sorted(unknown)[0]}' is invalid. Only AWSTraceHeader is supported."
            )
        trace = system.get("AWSTraceHeader")
        if trace is not None and trace.data_type != "String":
            raise errors.InvalidParameterValue("The message system attribute AWSTraceHeader must be of type String.")
    # Positional: this runs for every message sent.
    return SendEntry(
        params.get("Id", entry_id),
        params.get("MessageBody"),
        params.get("DelaySeconds"),
        params.get("MessageAttributes") or {},
        # An AWSTraceHeader sent as a system attribute wins over the request's X-Amzn-Trace-Id header.
        trace.string_value if trace is not None else ctx.trace_header,
        params.get("MessageGroupId"),
        params.get("MessageDeduplicationId"),
    )


def _send_output(result: SendResult, entry_id: str | None = None) -> dict:
    output = {"Id": entry_id} if entry_id is not None else {}
    output["MessageId"] = result.message_id
    output["MD5OfMessageBody"] = result.md5_body
    if result.md5_attributes:
        output["MD5OfMessageAttributes"] = result.md5_attributes
    if result.md5_system_attributes:
        output["MD5OfMessageSystemAttributes"] = result.md5_system_attributes
    if result.sequence_number:
        output["SequenceNumber"] = result.sequence_number
    return output


def _batch_output(successful: list[dict], failed: list[BatchFailure]) -> dict:
    return {
        "Successful": successful,
        "Failed": [{"Id": f.id, "SenderFault": f.sender_fault, "Code": f.code, "Message": f.message} for f in failed],
    }


def _entries(params: dict) -> list[dict]:
    return params.get("Entries") or []


@_action
def create_queue(backend, ctx, params):
    url = backend.create_queue(ctx, params.get("QueueName"), params.get("Attributes"), params.get("tags"))
    return {"QueueUrl": url}


@_action
def get_queue_url(backend, ctx, params):
    return {"QueueUrl": backend.get_queue_url(ctx, params.get("QueueName"), params.get("QueueOwnerAWSAccountId"))}


@_action
def delete_queue(backend, ctx, params):
    backend.delete_queue(ctx, params.get("QueueUrl"))
    return {}


@_action
def list_queues(backend, ctx, params):
    urls, token = backend.list_queues(
        ctx, params.get("QueueNamePrefix"), params.get("MaxResults"), params.get("NextToken")
    )
    output: dict = {"QueueUrls": urls} if urls else {}
    if token:
        output["NextToken"] = token
    return output


@_action
def get_queue_attributes(backend, ctx, params):
    attributes = backend.get_queue_attributes(ctx, params.get("QueueUrl"), params.get("AttributeNames"))
    return {"Attributes": attributes} if attributes else {}


@_action
def set_queue_attributes(backend, ctx, params):
    if "Attributes" not in params:
        raise errors.MissingParameter("The request must contain the parameter Attributes.")
    backend.set_queue_attributes(ctx, params.get("QueueUrl"), params["Attributes"])
    return {}


@_action
def purge_queue(backend, ctx, params):
    backend.purge_queue(ctx, params.get("QueueUrl"))
    return {}


@_action
def send_message(backend, ctx, params):
    return _send_output(backend.send_message(ctx, params.get("QueueUrl"), _send_entry(ctx, params)))


@_action
def send_message_batch(backend, ctx, params):
    entries = [_send_entry(ctx, entry) for entry in _entries(params)]
    done, failed = backend.send_message_batch(ctx, params.get("QueueUrl"), entries)
    return _batch_output([_send_output(result, entry_id) for entry_id, result in done], failed)


@_action
def receive_message(backend, ctx, params):
    names = (params.get("AttributeNames") or []) + (params.get("MessageSystemAttributeNames") or [])
    received = backend.receive_message(
        ctx,
        params.get("QueueUrl"),
        max_number=params.get("MaxNumberOfMessages"),
        visibility_timeout=params.get("VisibilityTimeout"),
        wait_seconds=params.get("WaitTimeSeconds"),
        attribute_names=names,
        message_attribute_names=params.get("MessageAttributeNames"),
        attempt_id=params.get("ReceiveRequestAttemptId"),
    )
    messages = []
    for message in received:
        item = {
            "MessageId": message.message_id,
            "ReceiptHandle": message.receipt_handle,
            "MD5OfBody": message.md5_body,
            "Body": message.body,
        }
        if message.attributes:
            item["Attributes"] = message.attributes
        if message.message_attributes:
            item["MD5OfMessageAttributes"] = message.md5_message_attributes
            item["MessageAttributes"] = message.message_attributes
        messages.append(item)
    return {"Messages": messages} if messages else {}


@_action
def delete_message(backend, ctx, params):
    backend.delete_message(ctx, params.get("QueueUrl"), params.get("ReceiptHandle"))
    return {}


@_action
def delete_message_batch(backend, ctx, params):
    entries = [(entry.get("Id"), entry.get("ReceiptHandle")) for entry in _entries(params)]
    done, failed = backend.delete_message_batch(ctx, params.get("QueueUrl"), entries)
    return _batch_output([{"Id": entry_id} for entry_id in done], failed)


@_action
def change_message_visibility(backend, ctx, params):
    backend.change_message_visibility(
        ctx, params.get("QueueUrl"), params.get("ReceiptHandle"), params.get("VisibilityTimeout")
    )
    return {}


@_action
def change_message_visibility_batch(backend, ctx, params):
    entries = [
        (entry.get("Id"), entry.get("ReceiptHandle"), entry.get("VisibilityTimeout")) for entry in _entries(params)
    ]
    done, failed = backend.change_message_visibility_batch(ctx, params.get("QueueUrl"), entries)
    return _batch_output([{"Id": entry_id} for entry_id in done], failed)


@_action
def tag_queue(backend, ctx, params):
    backend.tag_queue(ctx, params.get("QueueUrl"), params.get("Tags") or {})
    return {}


@_action
def untag_queue(backend, ctx, params):
    backend.untag_queue(ctx, params.get("QueueUrl"), params.get("TagKeys") or [])
    return {}


@_action
def list_queue_tags(backend, ctx, params):
    tags = backend.list_queue_tags(ctx, params.get("QueueUrl"))
    return {"Tags": tags} if tags else {}


@_action
def add_permission(backend, ctx, params):
    backend.add_permission(
        ctx, params.get("QueueUrl"), params.get("Label"), params.get("AWSAccountIds") or [], params.get("Actions") or []
    )
    return {}


@_action
def remove_permission(backend, ctx, params):
    backend.remove_permission(ctx, params.get("QueueUrl"), params.get("Label"))
    return {}


@_action
def list_dead_letter_source_queues(backend, ctx, params):
    urls, token = backend.list_dead_letter_source_queues(
        ctx, params.get("QueueUrl"), params.get("MaxResults"), params.get("NextToken")
    )
    output: dict = {"queueUrls": urls}
    if token:
        output["NextToken"] = token
    return output


@_action
def start_message_move_task(backend, ctx, params):
    handle = backend.start_message_move_task(
        ctx, params.get("SourceArn"), params.get("DestinationArn"), params.get("MaxNumberOfMessagesPerSecond")
    )
    return {"TaskHandle": handle}


@_action
def cancel_message_move_task(backend, ctx, params):
    return {"ApproximateNumberOfMessagesMoved": backend.cancel_message_move_task(ctx, params.get("TaskHandle"))}


@_action
def list_message_move_tasks(backend, ctx, params):
    results = []
    for task in backend.list_message_move_tasks(ctx, params.get("SourceArn"), params.get("MaxResults")):
        entry = {
            "Status": task.status,
            "SourceArn": task.source_arn,
            "ApproximateNumberOfMessagesMoved": task.moved,
            "ApproximateNumberOfMessagesToMove": task.to_move,
            "StartedTimestamp": int(task.started * 1000),
        }
        if task.status == "RUNNING":
            entry["TaskHandle"] = task.handle
        if task.destination_arn:
            entry["DestinationArn"] = task.destination_arn
        if task.max_per_second:
            entry["MaxNumberOfMessagesPerSecond"] = task.max_per_second
        if task.failure_reason:
            entry["FailureReason"] = task.failure_reason
        results.append(entry)
    return {"Results": results}
