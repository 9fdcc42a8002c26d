"""The AWS JSON 1.0 wire of SQS (`X-Amz-Target: AmazonSQS.<Action>`): decode, run, encode."""

from __future__ import annotations

import base64
import json
import logging

import orjson

from cloudtwin.config import Settings
from cloudtwin.http.identity import endpoint, signed_caller
from cloudtwin.http.responses import request_body, status_line
from cloudtwin.ids import UuidSequence
from cloudtwin.sqs import actions, errors, shapes
from cloudtwin.sqs.backend import SqsBackend
from cloudtwin.sqs.message import MessageAttributeValue
from cloudtwin.sqs.naming import RequestContext

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/x-amz-json-1.0"
_ACCEPTED_CONTENT_TYPES = ("application/x-amz-json-1.0", "application/json")
_ERROR_NAMESPACE = "com.amazonaws.sqs#"
_CORAL_ERRORS = {"SerializationException", "UnknownOperationException"}

REQUEST_IDS = UuidSequence()


class JsonProtocol:
    def __init__(self, backend: SqsBackend, settings: Settings) -> None:
        self.backend = backend
        self.settings = settings

    def __call__(self, environ: dict, start_response):
        request_id = REQUEST_IDS.next()
        try:
            action, raw = self._decode(environ)
            params = shapes.coerce(action, raw, numbers_as_text=False, malformed=errors.SerializationException)
            region, account, signed = signed_caller(environ, self.settings.region, self.settings.account_id)
            ctx = RequestContext(region, account, endpoint(environ), environ.get("HTTP_X_AMZN_TRACE_ID"), signed)
            output = actions.run(self.backend, ctx, action, params)
        except errors.SqsError as exc:
            return self._error(start_response, exc, request_id)
        except Exception:
            log.exception("SQS JSON request failed")
            return self._error(start_response, errors.SqsError("We encountered an internal error."), request_id)
        body = encode_output(output)
        start_response("200 OK", [("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
        return [body]

    def _decode(self, environ: dict) -> tuple[str, dict]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        prefix, _, action = target.partition(".")
        if prefix != "AmazonSQS" or action not in shapes.INPUTS:
            raise errors.UnknownOperation(f"Operation {target or '(none)'} is not supported by this service.")
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type not in _ACCEPTED_CONTENT_TYPES:
            raise errors.SerializationException(
                f"Content-Type must be {CONTENT_TYPE} for X-Amz-Target requests, not {content_type or '(none)'}."
            )
        body = request_body(environ)
        return action, decode_input(body) if body.strip() else {}

    def _error(self, start_response, exc: errors.SqsError, request_id: str):
        namespace = "com.amazon.coral.service#" if exc.code in _CORAL_ERRORS else _ERROR_NAMESPACE
        body = json.dumps({"__type": namespace + exc.code, "message": exc.message}).encode("utf-8")
        headers = [("Content-Type", CONTENT_TYPE), ("x-amzn-RequestId", request_id)]
        if exc.code not in _CORAL_ERRORS:
            fault = "Sender" if exc.sender_fault else "Receiver"
            headers.append(("x-amzn-query-error", f"{exc.query_code};{fault}"))
        start_response(status_line(exc.status), headers)
        return [body]


def decode_input(body: bytes):
    """The request document. orjson reads what most clients send; what it refuses is read by the standard library,
    which accepts what orjson does not (NaN, an escaped lone surrogate, that the body checks then refuse as SQS
    does) and words the error. The one difference that is left: an integer past 64 bits is read as a float."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.SerializationException(f"Malformed JSON request body: {exc}") from None


def encode_output(output: dict) -> bytes:
    try:
        return orjson.dumps(output, default=encode_json_value, option=orjson.OPT_PASSTHROUGH_DATACLASS)
    except TypeError:  # what orjson cannot write (an integer past 64 bits) the standard library can
        return _ENCODER.encode(output).encode("utf-8")


def encode_json_value(value):
    """JSON for what the action layer returns beyond plain data: message attribute values."""
    if isinstance(value, MessageAttributeValue):
        encoded = {"DataType": value.data_type}
        if value.binary_value is not None:
            encoded["BinaryValue"] = base64.b64encode(value.binary_value).decode()
        else:
            encoded["StringValue"] = value.string_value
        return encoded
    raise TypeError(f"cannot encode {type(value).__name__}")


# For what orjson refuses; one encoder, since json.dumps with options would build a new one per call.
_ENCODER = json.JSONEncoder(default=encode_json_value, ensure_ascii=False)
