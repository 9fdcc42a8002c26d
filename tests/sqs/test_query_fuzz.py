"""The Query parser fuzzed: no form crashes it, and what it builds is what the JSON wire builds."""

from __future__ import annotations

import base64
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtwin.clock import Clock
from cloudtwin.config import Settings
from cloudtwin.contract_tests.sqs.query_client import NAMESPACE, flatten
from cloudtwin.sqs import errors, query_form, shapes
from cloudtwin.sqs.backend import SqsBackend
from cloudtwin.sqs.query_protocol import QueryProtocol

QUEUE_URL = "http://localhost/000000000000/fuzzed"


@pytest.fixture(scope="module")
def app():
    backend = SqsBackend(Clock())
    yield QueryProtocol(backend, Settings(aws_port=0, redis_port=-1, kafka="off"))
    backend.close()


def call(app, body: bytes, path: str = "/") -> tuple[int, bytes]:
    answer: list = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "cloudtwin.body": body,
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
    }
    chunks = app(environ, lambda status, headers: answer.append(status))
    return int(answer[0].split()[0]), b"".join(chunks)


# Keys an SDK might send, and some it would not; long polls are left out so no example waits.
_SEGMENTS = st.sampled_from(
    ["Action", "Version", "QueueUrl", "QueueName", "MessageBody", "Attribute", "Name", "Value", "Tag", "Key",
     "AttributeName", "MessageAttribute", "DataType", "StringValue", "BinaryValue", "MaxNumberOfMessages",
     "SendMessageBatchRequestEntry", "DeleteMessageBatchRequestEntry", "Id", "ReceiptHandle", "DelaySeconds",
     "1", "2", "3", "0", "01", "", "x"]
)  # fmt: skip
_KEYS = st.lists(_SEGMENTS, min_size=1, max_size=5).map(".".join)
_VALUES = st.one_of(st.sampled_from(sorted(shapes.INPUTS) + ["2012-11-05", QUEUE_URL, "fuzzed", "5", "-1"]), st.text())


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(form=st.dictionaries(_KEYS, _VALUES, max_size=8), action=st.sampled_from(sorted(shapes.INPUTS)))
def test_any_form_gets_a_well_formed_answer(app, form, action):
    fields = {"Action": action, "Version": "2012-11-05", **form}  # the form may name another Action
    status, body = call(app, urlencode(fields).encode())
    assert status in (200, 400, 403, 404)
    root = ElementTree.fromstring(body)
    assert root.tag in (f"{NAMESPACE}{fields['Action']}Response", f"{NAMESPACE}ErrorResponse")


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(body=st.binary(max_size=200))
def test_any_bytes_get_a_well_formed_answer(app, body):
    status, answer = call(app, body, path="/000000000000/fuzzed")
    assert status in (200, 400, 403, 404)
    ElementTree.fromstring(answer)


_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)
_ATTRIBUTE = st.one_of(
    st.builds(lambda text: {"DataType": "String", "StringValue": text}, st.text(max_size=20)),
    st.builds(lambda data: {"DataType": "Binary.x", "BinaryValue": data}, st.binary(min_size=1, max_size=20)),
)
# A map with no entries has no Query form at all, so attribute maps here have at least one.
_ENTRY = st.fixed_dictionaries(
    {"Id": _NAMES, "MessageBody": st.text(max_size=30)},
    optional={
        "DelaySeconds": st.integers(-5, 1000),
        "MessageAttributes": st.dictionaries(_NAMES, _ATTRIBUTE, min_size=1, max_size=3),
        "MessageGroupId": st.text(max_size=5),
    },
)


def _as_json(params):
    """The same parameters as the JSON wire receives them: binary values as base64 text."""
    if isinstance(params, bytes):
        return base64.b64encode(params).decode()
    if isinstance(params, dict):
        return {key: _as_json(value) for key, value in params.items()}
    if isinstance(params, list):
        return [_as_json(value) for value in params]
    return params


@settings(max_examples=200)
@given(entries=st.lists(_ENTRY, min_size=1, max_size=4))
def test_query_and_json_wires_hand_the_core_the_same_parameters(entries):
    params = {"QueueUrl": QUEUE_URL, "Entries": entries}
    form = query_form.parse(urlencode(flatten("SendMessageBatch", params)))
    from_query = shapes.coerce("SendMessageBatch", query_form.unflatten("SendMessageBatch", form), numbers_as_text=True,
                               malformed=errors.InvalidParameterValue)  # fmt: skip
    from_json = shapes.coerce("SendMessageBatch", _as_json(params), numbers_as_text=False,
                              malformed=errors.SerializationException)  # fmt: skip
    assert from_query == from_json
