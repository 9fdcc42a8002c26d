"""Responses of the Query wire: the XML documents the SDKs parse, or the JSON form AWS sends
when a Query client asks for JSON (`Accept: application/json`).

Both are built from the output dicts of `actions.run` (member names of the API model). XML is
written by hand rather than through ElementTree: it is faster, and SQS escapes one character
ElementTree leaves alone (carriage return, which XML parsers would otherwise turn into \\n).
"""

from __future__ import annotations

import base64
import json
import re

from cloudtwin.sqs.errors import SqsError
from cloudtwin.sqs.json_protocol import encode_output
from cloudtwin.sqs.message import MessageAttributeValue
from cloudtwin.sqs.query_names import LIST_ITEMS, MAP_ENTRIES

NAMESPACE = "http://queue.amazonaws.com/doc/2012-11-05/"
_PROLOG = '<?xml version="1.0"?>'

# Members of each action's `<Action>Result`; actions missing here answer with no Result element.
RESULT_MEMBERS: dict[str, tuple[str, ...]] = {
    "CancelMessageMoveTask": ("ApproximateNumberOfMessagesMoved",),
    "ChangeMessageVisibilityBatch": ("Successful", "Failed"),
    "CreateQueue": ("QueueUrl",),
    "DeleteMessageBatch": ("Successful", "Failed"),
    "GetQueueAttributes": ("Attributes",),
    "GetQueueUrl": ("QueueUrl",),
    "ListDeadLetterSourceQueues": ("queueUrls", "NextToken"),
    "ListMessageMoveTasks": ("Results",),
    "ListQueueTags": ("Tags",),
    "ListQueues": ("QueueUrls", "NextToken"),
    "ReceiveMessage": ("Messages",),
    "SendMessage": (
        "MD5OfMessageBody",
        "MD5OfMessageAttributes",
        "MD5OfMessageSystemAttributes",
        "MessageId",
        "SequenceNumber",
    ),
    "SendMessageBatch": ("Successful", "Failed"),
    "StartMessageMoveTask": ("TaskHandle",),
}
# What XML 1.0 cannot carry at all, not even as a character reference. Message bodies and
# attribute values never contain it (the core rejects them, as SQS does); other text that
# echoes input, such as an error message, has it replaced so the document stays well-formed.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPECIAL = re.compile('[&<>"\r]|' + _NOT_XML.pattern)


def escape(text: str) -> str:
    """Text content as SQS writes it: `&<>"` as entities, and CR as `&#xD;` so it survives parsing."""
    if _SPECIAL.search(text) is None:  # most text: ids, digests, names, numbers
        return text
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#xD;")
    if _NOT_XML.search(text):
        text = _NOT_XML.sub("\ufffd", text)
    return text


def xml_response(action: str, output: dict, request_id: str) -> bytes:
    parts = [_PROLOG, f'<{action}Response xmlns="{NAMESPACE}">']
    if action in RESULT_MEMBERS:
        parts.append(f"<{action}Result>")
        _members(parts, action, output)
        parts.append(f"</{action}Result>")
    parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>")
    return "".join(parts).encode("utf-8")


def xml_error(exc: SqsError, request_id: str) -> bytes:
    return (
        f'{_PROLOG}<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>{_fault(exc)}</Type>'
        f"<Code>{escape(exc.query_code)}</Code><Message>{escape(exc.query_message)}</Message><Detail/></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    ).encode()


def json_response(action: str, output: dict, request_id: str) -> bytes:
    """`{"<Action>Response": {"<Action>Result": {…}, "ResponseMetadata": {…}}}`; absent members are null.

    Maps are lists of entries, as in the XML: `"Attributes": [{"Name": …, "Value": …}]`.
    """
    response: dict = {}
    if action in RESULT_MEMBERS:
        response[f"{action}Result"] = {
            member: _json_value(member, output.get(member)) for member in RESULT_MEMBERS[action]
        }
    response["ResponseMetadata"] = {"RequestId": request_id}
    return encode_output({f"{action}Response": response})


def _json_value(name: str, value):
    if isinstance(value, dict):
        if name in MAP_ENTRIES:
            _, key_name, value_name = MAP_ENTRIES[name]
            return [{key_name: key, value_name: _json_value("", item)} for key, item in value.items()]
        return {member: _json_value(member, item) for member, item in value.items()}
    if isinstance(value, list):
        return [_json_value("", item) for item in value]
    return value


def json_error(exc: SqsError, request_id: str) -> bytes:
    error = {"Type": _fault(exc), "Code": exc.query_code, "Message": exc.query_message, "Detail": None}
    return json.dumps({"Error": error, "RequestId": request_id}, ensure_ascii=False).encode("utf-8")


def _fault(exc: SqsError) -> str:
    return "Sender" if exc.sender_fault else "Receiver"


def _members(parts: list[str], action: str, output: dict) -> None:
    for name, value in output.items():
        if type(value) is str:
            parts.append(f"<{name}>{escape(value)}</{name}>")
        elif isinstance(value, list):
            item = LIST_ITEMS.get(name) or f"{action}ResultEntry"  # a batch's Successful
            for element in value:
                if isinstance(element, dict):
                    parts.append(f"<{item}>")
                    _members(parts, action, element)
                    parts.append(f"</{item}>")
                else:
                    parts.append(f"<{item}>{_text(element)}</{item}>")
        elif isinstance(value, dict):
            entry, key_name, value_name = MAP_ENTRIES[name]
            for key, element in value.items():
                parts.append(f"<{entry}><{key_name}>{escape(key)}</{key_name}><{value_name}>")
                parts.append(_attribute_xml(element) if isinstance(element, MessageAttributeValue) else _text(element))
                parts.append(f"</{value_name}></{entry}>")
        else:
            parts.append(f"<{name}>{_text(value)}</{name}>")


def _text(value) -> str:
    if type(value) is str:
        return escape(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _attribute_xml(value: MessageAttributeValue) -> str:
    if value.binary_value is not None:
        data = f"<BinaryValue>{base64.b64encode(value.binary_value).decode()}</BinaryValue>"
    else:
        data = f"<StringValue>{escape(value.string_value or '')}</StringValue>"
    return f"{data}<DataType>{escape(value.data_type)}</DataType>"
