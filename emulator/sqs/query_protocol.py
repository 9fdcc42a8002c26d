"""The Query wire of SQS (`Action=<Op>&Version=2012-11-05&…`): decode, run, encode.

Requests come as a form body (POST) or a query string (GET, also presigned), sent to `/` or
to a queue URL, whose path then stands for a missing `QueueUrl` (as AWS SDK for Java v1 sends).
`Version` may be left out, as AWS allows; a GET naming no `Action` gets AWS's bare
`<UnknownOperationException/>` document.
"""

from __future__ import annotations

import logging
import re

from cloudtwin.config import Settings
from cloudtwin.http.identity import credential_scope, endpoint, signed_caller
from cloudtwin.http.responses import request_body, status_line
from cloudtwin.ids import UuidSequence
from cloudtwin.sqs import actions, errors, query_form, query_render, shapes
from cloudtwin.sqs.backend import SqsBackend
from cloudtwin.sqs.naming import RequestContext, parse_queue_url

log = logging.getLogger(__name__)

VERSION = "2012-11-05"
XML_CONTENT_TYPE = "text/xml"
JSON_CONTENT_TYPE = "application/json"
_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
# parse_queue_url needs the request's region only to resolve a queue, not to recognise its URL.
_ANY_REGION = RequestContext("", "", "")
_ACTION_TEXT = re.compile(r"(?:^|&)Action=")
_ACTION_BYTES = re.compile(rb"(?:^|&)Action=")
# Actions that address no queue, which AWS refuses when they are sent to a queue URL.
_NOT_FOR_QUEUE_URLS = frozenset({"CreateQueue", "ListQueues"})
# What AWS answers a GET that names no action, whatever the Accept header asks for.
_UNKNOWN_OPERATION_DOCUMENT = b"<UnknownOperationException/>"

REQUEST_IDS = UuidSequence()


def is_query_request(environ: dict) -> bool:
    """Whether a request that is neither JSON nor admin API is an SQS Query request.

    It is one if it goes to `/` or to a queue URL and names an `Action`, is signed for SQS, or
    posts a form to a queue URL, or is an unsigned GET to `/`; without a valid Action it then gets
    MissingAction, InvalidAction or UnknownOperationException rather than moto's S3 handler. It is
    never one if signed for another service.
    """
    path = environ["PATH_INFO"]
    queue_path = path != "/"
    if queue_path and not _is_queue_path(path):
        return False
    scope = credential_scope(environ)
    if scope is not None and scope[2] != "sqs":
        return False
    if scope is not None or _has_action(environ):
        return True
    if queue_path:
        return _is_form_post(environ)
    return environ["REQUEST_METHOD"] == "GET"


class _UnknownOperation(Exception):
    """A GET with no Action: not an SQS error document but a bare one of its own."""


class QueryProtocol:
    def __init__(self, backend: SqsBackend, settings: Settings) -> None:
        self.backend = backend
        self.settings = settings

    def __call__(self, environ: dict, start_response):
        request_id = REQUEST_IDS.next()
        as_json = JSON_CONTENT_TYPE in environ.get("HTTP_ACCEPT", "")
        try:
            action, raw = _decode(environ)
            params = shapes.coerce(action, raw, numbers_as_text=True, malformed=errors.InvalidParameterValue)
            region, account, signed = signed_caller(environ, self.settings.region, self.settings.account_id)
            ctx = RequestContext(region, account, endpoint(environ), environ.get("HTTP_X_AMZN_TRACE_ID"), signed)
            output = actions.run(self.backend, ctx, action, params)
        except _UnknownOperation:
            start_response("404 Not Found", [("Content-Type", XML_CONTENT_TYPE), ("x-amzn-RequestId", request_id)])
            return [_UNKNOWN_OPERATION_DOCUMENT]
        except errors.SqsError as exc:
            return _error(start_response, exc, request_id, as_json)
        except Exception:
            log.exception("SQS Query request failed")
            failure = errors.SqsError("We encountered an internal error. Please try again.")
            return _error(start_response, failure, request_id, as_json)
        if as_json:
            body, content_type = query_render.json_response(action, output, request_id), JSON_CONTENT_TYPE
        else:
            body, content_type = query_render.xml_response(action, output, request_id), XML_CONTENT_TYPE
        start_response("200 OK", [("Content-Type", content_type), ("x-amzn-RequestId", request_id)])
        return [body]


def _decode(environ: dict) -> tuple[str, dict]:
    form = query_form.parse(_form_text(environ))
    action = form.get("Action")
    if not action:
        if environ["REQUEST_METHOD"] == "GET" and "Action" not in form:
            raise _UnknownOperation
        raise errors.MissingAction("The request must contain the parameter Action.")
    path = environ["PATH_INFO"]
    if action not in shapes.INPUTS or (path != "/" and action in _NOT_FOR_QUEUE_URLS):
        raise errors.InvalidAction(f"The action {action} is not valid for this endpoint.")
    version = form.get("Version")
    if version and version != VERSION:
        raise errors.InvalidAction(
            f"Could not find operation {action} for version {version}; this endpoint serves SQS API version {VERSION}."
        )
    raw = query_form.unflatten(action, form)
    if path != "/" and "QueueUrl" in shapes.INPUTS[action] and "QueueUrl" not in raw:
        raw["QueueUrl"] = endpoint(environ) + path
    return action, raw


def _is_queue_path(path: str) -> bool:
    try:
        parse_queue_url(path, _ANY_REGION)
    except errors.SqsError:
        return False
    return True


def _form_text(environ: dict) -> str:
    """Query string and form body together: a presigned POST carries its signature in the URL."""
    text = environ.get("QUERY_STRING", "")
    if _is_form_post(environ):
        try:
            body = request_body(environ).decode("utf-8")
        except UnicodeDecodeError:
            raise errors.MalformedQueryString("The request body is not UTF-8 form data.") from None
        if body:
            text = f"{text}&{body}" if text else body
    return text


def _is_form_post(environ: dict) -> bool:
    content_type = environ.get("CONTENT_TYPE", "").lower()
    return environ["REQUEST_METHOD"] == "POST" and (not content_type or content_type.startswith(_FORM_CONTENT_TYPE))


def _has_action(environ: dict) -> bool:
    """Whether the query string or form body names an `Action`, found without parsing either."""
    if _ACTION_TEXT.search(environ.get("QUERY_STRING", "")):
        return True
    return _is_form_post(environ) and _ACTION_BYTES.search(request_body(environ)) is not None


def _error(start_response, exc: errors.SqsError, request_id: str, as_json: bool):
    if as_json:
        body, content_type = query_render.json_error(exc, request_id), JSON_CONTENT_TYPE
    else:
        body, content_type = query_render.xml_error(exc, request_id), XML_CONTENT_TYPE
    start_response(status_line(exc.status), [("Content-Type", content_type), ("x-amzn-RequestId", request_id)])
    return [body]
