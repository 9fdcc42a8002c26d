"""An SQS client with boto3's method names and shapes that speaks the Query wire over raw HTTP.

It flattens parameters with the names of SQS's Query model (`Attribute.1.Name`, …), signs with
SigV4, and parses the XML strictly: an element it does not expect, a wrong root or namespace, or
a missing RequestId fails the test. It sends a queue's requests to the queue URL without a
`QueueUrl` parameter, as AWS SDK for Java v1 does, and everything else to `/`.
Errors raise botocore's ClientError with `Error` = {Code, Message, Type}, as boto3 does.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

import urllib3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

NAMESPACE = "{http://queue.amazonaws.com/doc/2012-11-05/}"
ACTIONS = (
    "AddPermission", "CancelMessageMoveTask", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch",
    "CreateQueue", "DeleteMessage", "DeleteMessageBatch", "DeleteQueue", "GetQueueAttributes", "GetQueueUrl",
    "ListDeadLetterSourceQueues", "ListMessageMoveTasks", "ListQueueTags", "ListQueues", "PurgeQueue",
    "ReceiveMessage", "RemovePermission", "SendMessage", "SendMessageBatch", "SetQueueAttributes",
    "StartMessageMoveTask", "TagQueue", "UntagQueue",
)  # fmt: skip
_QUEUE_PATH = re.compile(r"^/(?:queue/[a-z0-9-]+/\d{12}/[^/]+|\d{12}/[^/]+)$")

# -- requests: the Query model's names for lists and maps ---------------------------------

_LIST_ITEMS = {
    "AttributeNames": "AttributeName",
    "MessageAttributeNames": "MessageAttributeName",
    "MessageSystemAttributeNames": "MessageSystemAttributeName",
    "TagKeys": "TagKey",
    "AWSAccountIds": "AWSAccountId",
    "Actions": "ActionName",
    "StringListValues": "StringListValue",
    "BinaryListValues": "BinaryListValue",
}
_MAP_ENTRIES = {
    "Attributes": ("Attribute", "Name", "Value"),
    "tags": ("Tag", "Key", "Value"),
    "Tags": ("Tag", "Key", "Value"),
    "MessageAttributes": ("MessageAttribute", "Name", "Value"),
    "MessageSystemAttributes": ("MessageSystemAttribute", "Name", "Value"),
}


def flatten(action: str, params: dict) -> dict[str, str]:
    form = {"Action": action, "Version": "2012-11-05"}
    _flatten_structure(action, params, "", form)
    return form


def _flatten_structure(action: str, params: dict, prefix: str, form: dict[str, str]) -> None:
    for member, value in params.items():
        if member == "Entries":
            for n, entry in enumerate(value, 1):
                _flatten_structure(action, entry, f"{prefix}{action}RequestEntry.{n}.", form)
        elif member in _LIST_ITEMS:
            for n, item in enumerate(value, 1):
                form[f"{prefix}{_LIST_ITEMS[member]}.{n}"] = _scalar(item)
        elif member in _MAP_ENTRIES:
            entry, key_name, value_name = _MAP_ENTRIES[member]
            for n, (key, item) in enumerate(value.items(), 1):
                form[f"{prefix}{entry}.{n}.{key_name}"] = key
                if isinstance(item, dict):
                    _flatten_structure(action, item, f"{prefix}{entry}.{n}.{value_name}.", form)
                else:
                    form[f"{prefix}{entry}.{n}.{value_name}"] = _scalar(item)
        else:
            form[prefix + member] = _scalar(value)


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    return str(value)


# -- responses: strict parsing of the XML into boto3's dicts --------------------------------


class Field(NamedTuple):
    member: str
    parse: Callable[[ElementTree.Element], Any]
    mode: str = "one"  # "one", "list" (a flattened list) or "map" (a flattened map)


def _text(element: ElementTree.Element) -> str:
    assert len(element) == 0, f"{element.tag} should hold text only"
    return element.text or ""


def _integer(element: ElementTree.Element) -> int:
    return int(_text(element))


def _boolean(element: ElementTree.Element) -> bool:
    return {"true": True, "false": False}[_text(element)]


def _blob(element: ElementTree.Element) -> bytes:
    return base64.b64decode(_text(element), validate=True)


def _structure(schema: dict[str, Field]) -> Callable[[ElementTree.Element], dict]:
    def parse(element: ElementTree.Element) -> dict:
        assert element.text is None or not element.text.strip(), f"stray text in {element.tag}"
        result: dict = {}
        for child in element:
            assert child.tag.startswith(NAMESPACE), f"{child.tag} is outside the SQS namespace"
            name = child.tag[len(NAMESPACE) :]
            assert name in schema, f"unexpected element {name} in {element.tag}"
            field = schema[name]
            if field.mode == "list":
                result.setdefault(field.member, []).append(field.parse(child))
            elif field.mode == "map":
                key, value = field.parse(child)
                entries = result.setdefault(field.member, {})
                assert key not in entries, f"{name} {key} repeated"
                entries[key] = value
            else:
                assert field.member not in result, f"{name} repeated"
                result[field.member] = field.parse(child)
        return result

    return parse


def _entry(key_name: str, value: Callable) -> Callable[[ElementTree.Element], tuple[str, Any]]:
    parse = _structure({key_name: Field("key", _text), "Value": Field("value", value)})

    def entry(element: ElementTree.Element) -> tuple[str, Any]:
        fields = parse(element)
        assert set(fields) == {"key", "value"}, f"{element.tag} needs {key_name} and Value"
        return fields["key"], fields["value"]

    return entry


def _texts(*names: str) -> dict[str, Field]:
    return {name: Field(name, _text) for name in names}


def _integers(*names: str) -> dict[str, Field]:
    return {name: Field(name, _integer) for name in names}


_ATTRIBUTE_VALUE = _structure({**_texts("StringValue", "DataType"), "BinaryValue": Field("BinaryValue", _blob)})
_MESSAGE = _structure({
    **_texts("MessageId", "ReceiptHandle", "MD5OfBody", "Body", "MD5OfMessageAttributes"),
    "Attribute": Field("Attributes", _entry("Name", _text), "map"),
    "MessageAttribute": Field("MessageAttributes", _entry("Name", _ATTRIBUTE_VALUE), "map"),
})  # fmt: skip
_SENT = _texts("MessageId", "MD5OfMessageBody", "MD5OfMessageAttributes", "MD5OfMessageSystemAttributes",
               "SequenceNumber")  # fmt: skip
_FAILED = Field(
    "Failed", _structure({**_texts("Id", "Code", "Message"), "SenderFault": Field("SenderFault", _boolean)}), "list"
)
_MOVE_TASK = _structure({
    **_texts("TaskHandle", "Status", "SourceArn", "DestinationArn", "FailureReason"),
    **_integers("MaxNumberOfMessagesPerSecond", "ApproximateNumberOfMessagesMoved",
                "ApproximateNumberOfMessagesToMove", "StartedTimestamp"),
})  # fmt: skip


def _batch(action: str, entry: dict[str, Field]) -> dict[str, Field]:
    return {f"{action}ResultEntry": Field("Successful", _structure({**_texts("Id"), **entry}), "list"),
            "BatchResultErrorEntry": _FAILED}  # fmt: skip


RESULTS: dict[str, dict[str, Field]] = {
    "CreateQueue": _texts("QueueUrl"),
    "GetQueueUrl": _texts("QueueUrl"),
    "ListQueues": {"QueueUrl": Field("QueueUrls", _text, "list"), **_texts("NextToken")},
    "ListDeadLetterSourceQueues": {"QueueUrl": Field("queueUrls", _text, "list"), **_texts("NextToken")},
    "GetQueueAttributes": {"Attribute": Field("Attributes", _entry("Name", _text), "map")},
    "ListQueueTags": {"Tag": Field("Tags", _entry("Key", _text), "map")},
    "SendMessage": _SENT,
    "SendMessageBatch": _batch("SendMessageBatch", _SENT),
    "DeleteMessageBatch": _batch("DeleteMessageBatch", {}),
    "ChangeMessageVisibilityBatch": _batch("ChangeMessageVisibilityBatch", {}),
    "ReceiveMessage": {"Message": Field("Messages", _MESSAGE, "list")},
    "StartMessageMoveTask": _texts("TaskHandle"),
    "CancelMessageMoveTask": _integers("ApproximateNumberOfMessagesMoved"),
    "ListMessageMoveTasks": {"ListMessageMoveTasksResultEntry": Field("Results", _MOVE_TASK, "list")},
}
# Members the API model requires, which a flattened empty list leaves out of the XML.
_REQUIRED_LISTS = {"Successful", "Failed", "queueUrls", "Results"}
_ERROR = _structure(_texts("Type", "Code", "Message", "Detail"))


def parse_response(action: str, status: int, headers: dict[str, str], body: bytes) -> dict:
    root = ElementTree.fromstring(body)
    request_id = headers.get("x-amzn-requestid")
    if status >= 400:
        assert root.tag == f"{NAMESPACE}ErrorResponse", f"error root is {root.tag}"
        assert [child.tag for child in root] == [f"{NAMESPACE}Error", f"{NAMESPACE}RequestId"]
        error = _ERROR(root[0])
        assert error["Type"] in ("Sender", "Receiver") and error["Code"] and "Message" in error
        assert _text(root[1]) == request_id
        response = {
            "Error": {"Code": error["Code"], "Message": error["Message"], "Type": error["Type"]},
            "ResponseMetadata": _metadata(request_id, status, headers),
        }
        raise ClientError(response, action)
    assert status == 200, status
    assert root.tag == f"{NAMESPACE}{action}Response", f"root is {root.tag}"
    children = list(root)
    result: dict = {}
    if action in RESULTS:
        assert children and children[0].tag == f"{NAMESPACE}{action}Result", f"{action}Result missing"
        result = _structure(RESULTS[action])(children.pop(0))
        for member in {field.member for field in RESULTS[action].values()} & _REQUIRED_LISTS:
            result.setdefault(member, [])
    assert [child.tag for child in children] == [f"{NAMESPACE}ResponseMetadata"], "ResponseMetadata missing"
    assert [(c.tag, _text(c)) for c in children[0]] == [(f"{NAMESPACE}RequestId", request_id)]
    result["ResponseMetadata"] = _metadata(request_id, status, headers)
    return result


def _metadata(request_id: str | None, status: int, headers: dict[str, str]) -> dict:
    return {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": headers, "RetryAttempts": 0}


# -- the client -----------------------------------------------------------------------------


class QueryClient:
    def __init__(
        self, endpoint: str, region: str = "us-east-1", access_key: str = "test", credentials: Credentials | None = None
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.region = region
        # A real account signs with the user's credentials; the twin takes any key.
        self._signer = SigV4Auth(credentials or Credentials(access_key, "test"), "sqs", region)
        self._http = urllib3.PoolManager(maxsize=4)

    def call(self, action: str, params: dict) -> dict:
        params = dict(params)
        path = "/"
        queue_url = params.get("QueueUrl")
        if isinstance(queue_url, str) and _QUEUE_PATH.match(urlsplit(queue_url).path):
            path = urlsplit(params.pop("QueueUrl")).path
        request = AWSRequest(
            method="POST",
            url=self.endpoint + path,
            data=urlencode(flatten(action, params)).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        )
        self._signer.add_auth(request)
        answer = self._http.request(
            "POST", request.url, body=request.body, headers=dict(request.headers.items()), retries=False
        )
        headers = {name.lower(): value for name, value in answer.headers.items()}
        return parse_response(action, answer.status, headers, answer.data)

    def close(self) -> None:
        self._http.clear()


def raw_request(
    endpoint: str, form: dict[str, str] | str | bytes, path: str = "/", method: str = "POST",
    headers: dict[str, str] | None = None, sign: str | None = "sqs", region: str = "us-east-1",
    access_key: str = "test",
) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    """One request exactly as given (a form dict is url-encoded), SigV4-signed for `sign` unless None."""
    data = form if isinstance(form, bytes) else (form if isinstance(form, str) else urlencode(form)).encode()
    url = endpoint.rstrip("/") + path
    all_headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **(headers or {})}
    if method == "GET":
        url, data = f"{url}?{data.decode()}", None
        all_headers.pop("Content-Type")
    request = AWSRequest(method=method, url=url, data=data, headers=all_headers)
    if sign:
        SigV4Auth(Credentials(access_key, "test"), sign, region).add_auth(request)
    answer = urllib3.request(method, request.url, body=request.body, headers=dict(request.headers.items()))
    return answer.status, {name.lower(): value for name, value in answer.headers.items()}, answer.data


def _snake(action: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()


def _method(action: str):
    def method(self: QueryClient, **params) -> dict:
        return self.call(action, params)

    method.__name__ = _snake(action)
    return method


for _action in ACTIONS:
    setattr(QueryClient, _snake(_action), _method(_action))
