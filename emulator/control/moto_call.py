"""Calling moto's WSGI app from an interceptor and getting its whole answer back to rewrite."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from cloudtwin.http.identity import credential_scope
from cloudtwin.http.responses import call_wsgi, request_body


@dataclass
class MotoAnswer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def ok(self) -> bool:
        return self.status.startswith("2")

    def send(self, start_response: Callable, body: bytes | None = None) -> list[bytes]:
        """Answer the client with this status and headers, and `body` if rewritten."""
        body = self.body if body is None else body
        start_response(self.status, [*self.headers, ("Content-Length", str(len(body)))])
        return [body]


def signed_for(environ: dict) -> str | None:
    """The AWS service a request's SigV4 credential scope names ("kafka", "elasticache", ...)."""
    scope = credential_scope(environ)
    return scope[2] if scope else None


def buffered_body(environ: dict) -> bytes:
    """Read the body once and leave it readable again for moto."""
    body = request_body(environ)
    environ["cloudtwin.body"] = body
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def call_moto(app: Callable, environ: dict) -> MotoAnswer:
    buffered_body(environ)
    return MotoAnswer(*call_wsgi(app, environ))
