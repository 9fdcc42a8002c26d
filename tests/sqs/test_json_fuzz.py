"""The JSON wire fuzzed: any document for any action gets a well-formed answer, never an internal error."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudtwin.clock import Clock
from cloudtwin.config import Settings
from cloudtwin.sqs import shapes
from cloudtwin.sqs.backend import SqsBackend
from cloudtwin.sqs.json_protocol import JsonProtocol
from cloudtwin.sqs.naming import RequestContext

QUEUE_URL = "http://localhost/queue/us-east-1/000000000000/fuzzed"
FIFO_URL = QUEUE_URL + ".fifo"


@pytest.fixture(scope="module")
def app():
    backend = SqsBackend(Clock())
    ctx = RequestContext("us-east-1", "000000000000", "http://localhost")
    backend.create_queue(ctx, "fuzzed")
    backend.create_queue(ctx, "fuzzed.fifo", {"FifoQueue": "true"})
    yield JsonProtocol(backend, Settings(aws_port=0, redis_port=-1, kafka="off"))
    backend.close()


def call(app, action: str, document) -> tuple[int, dict, dict]:
    answer: list = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-amz-json-1.0",
        "HTTP_X_AMZ_TARGET": f"AmazonSQS.{action}",
        "cloudtwin.body": json.dumps(document).encode(),
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
    }
    chunks = app(environ, lambda status, headers: answer.append((status, dict(headers))))
    status, headers = answer[0]
    return int(status.split()[0]), headers, json.loads(b"".join(chunks))


# Values of every JSON type, and the member names and values an SDK would send.
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.text(max_size=30),
    st.sampled_from([QUEUE_URL, FIFO_URL, "fuzzed", "All", "String", "Number", "Binary", "AQID", "0", "10", "43201"]),
)  # fmt: skip
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(["DataType", "StringValue", "BinaryValue", "Id", "x"]), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def documents(draw):
    action = draw(st.sampled_from(sorted(shapes.INPUTS)))
    members = sorted(shapes.INPUTS[action])
    document = draw(st.dictionaries(st.sampled_from([*members, "Unknown"]), _JSON, max_size=len(members) + 1))
    return action, document


@settings(max_examples=400, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(case=documents())
def test_any_document_gets_a_well_formed_answer(app, case):
    action, document = case
    document.pop("WaitTimeSeconds", None)  # no example waits on a long poll
    status, headers, body = call(app, action, document)
    assert status in (200, 400, 403, 404), body
    if status != 200:
        assert body["__type"] and body["message"]
        assert "internal error" not in body["message"]
