"""Small helpers to answer WSGI requests."""

from __future__ import annotations

import json
from http import HTTPStatus

_REASONS = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


def status_line(status: int) -> str:
    return _REASONS.get(status, f"{status} Unknown")


def respond(start_response, status: int, body: bytes, content_type: str, headers=()) -> list[bytes]:
    start_response(status_line(status), [("Content-Type", content_type), *headers])
    return [body]


def respond_json(start_response, status: int, document, headers=()) -> list[bytes]:
    return respond(start_response, status, json.dumps(document).encode(), "application/json", headers)


def call_wsgi(app, environ: dict) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to the end: its status line, headers (without Content-Length) and whole body."""
    response: list = []

    def start_response(status: str, headers: list, exc_info=None):
        response[:] = [status, list(headers)]
        return lambda data: None

    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    status, headers = response
    return status, [(k, v) for k, v in headers if k.lower() != "content-length"], body


def request_body(environ: dict) -> bytes:
    body = environ.get("cloudtwin.body")
    if body is not None:
        return body
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return environ["wsgi.input"].read(length) if length else b""
