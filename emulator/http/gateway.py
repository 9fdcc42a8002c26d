"""Routes each request on the AWS port: admin API, SQS (our core), control planes, then moto."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from cloudtwin.http import moto_sqs_bridge
from cloudtwin.http.admin import MOTO_API_PREFIX, AdminApi
from cloudtwin.http.admin import PREFIX as ADMIN_PREFIX
from cloudtwin.http.identity import caller, credential_scope
from cloudtwin.http.request_log import RequestLog
from cloudtwin.http.responses import respond_json
from cloudtwin.sqs.json_protocol import JsonProtocol
from cloudtwin.sqs.query_protocol import QueryProtocol, is_query_request

if TYPE_CHECKING:
    from cloudtwin.process import Emulator
    from cloudtwin.sqs.backend import SqsBackend


def _is_sqs_json_without_target(environ: dict) -> bool:
    """A JSON 1.0 request signed for SQS that names no action: the JSON wire tells it so."""
    if not environ.get("CONTENT_TYPE", "").startswith("application/x-amz-json-1.0"):
        return False
    scope = credential_scope(environ)
    return scope is not None and scope[2] == "sqs"


# The admin APIs' own calls are not what a test asked the twin to do.
_UNRECORDED_PREFIXES = (ADMIN_PREFIX, MOTO_API_PREFIX)

# A WSGI app that answers only the requests it recognises and returns None for the rest.
Interceptor = Callable[[dict, Callable], Iterable[bytes] | None]


class Gateway:
    def __init__(self, emulator: Emulator, sqs: SqsBackend) -> None:
        self.emulator = emulator
        self.sqs = sqs
        self.admin = AdminApi(emulator)
        self.sqs_json = JsonProtocol(sqs, emulator.settings)
        self.sqs_query = QueryProtocol(sqs, emulator.settings)
        self.interceptors: list[Interceptor] = []
        self.request_log = RequestLog()
        """Off until asked for (the pytest plugin's failure report); the admin API reads it."""
        self._moto_app = None
        self._moto_lock = threading.Lock()

    def __call__(self, environ: dict, start_response) -> Iterable[bytes]:
        if self.request_log.recording and not environ["PATH_INFO"].startswith(_UNRECORDED_PREFIXES):
            return self._recorded(environ, start_response)
        return self._route(environ, start_response)

    def _recorded(self, environ: dict, start_response) -> Iterable[bytes]:
        status: list[str] = []

        def recording_start_response(status_line: str, headers, exc_info=None):
            status.append(status_line)
            return start_response(status_line, headers, exc_info)

        answer = self._route(environ, recording_start_response)
        self.request_log.record(environ, status[-1] if status else "", answer)
        return answer

    def _route(self, environ: dict, start_response) -> Iterable[bytes]:
        path = environ["PATH_INFO"]
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith("AmazonSQS") or (not target and _is_sqs_json_without_target(environ)):
            return self.sqs_json(environ, start_response)
        if path.startswith(ADMIN_PREFIX):
            return self.admin(environ, start_response)
        if path.startswith(MOTO_API_PREFIX):
            # moto's admin endpoints (reset, seed, config, data dump) get the admin API's rules, except that
            # tools written for moto post to them with no Content-Type at all.
            refusal = self.admin.access.refusal(environ, untyped_post_allowed=True)
            if refusal is not None:
                return respond_json(start_response, 403, {"error": refusal})
            if path == "/moto-api/reset":
                return self.reset_moto_api(environ, start_response)
        if is_query_request(environ):
            return self.sqs_query(environ, start_response)
        # moto would put resources in its own default account; cloudtwin's SQS uses the caller's account, and both
        # must agree for ARNs to match and for SNS or EventBridge to find the queues.
        settings = self.emulator.settings
        environ.setdefault("HTTP_X_MOTO_ACCOUNT_ID", caller(environ, settings.region, settings.account_id)[1])
        for interceptor in self.interceptors:
            answer = interceptor(environ, start_response)
            if answer is not None:
                return answer
        return self.moto_app(environ, start_response)

    @property
    def moto_app(self):
        """moto's server app, imported on first use: it takes most of a second to load."""
        if self._moto_app is None:
            with self._moto_lock:
                if self._moto_app is None:
                    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

                    moto_sqs_bridge.install(self.sqs)
                    self._moto_app = DomainDispatcherApplication(create_backend_app)
        return self._moto_app

    @property
    def moto_loaded(self) -> bool:
        return self._moto_app is not None

    def reset_moto(self) -> None:
        if self.moto_loaded:
            from moto.moto_api import _internal

            _internal.moto_api_backend.reset()

    def reset_moto_api(self, environ: dict, start_response) -> Iterable[bytes]:
        """moto's own reset endpoint, kept for tools written against moto; it resets SQS too."""
        if environ["REQUEST_METHOD"] != "POST":
            return respond_json(start_response, 405, {"error": "use POST /moto-api/reset"})
        self.sqs.reset()
        self.reset_moto()
        return respond_json(start_response, 200, {"status": "ok"})
