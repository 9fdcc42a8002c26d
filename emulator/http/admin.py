"""The admin API on the AWS port: health, reset, clock."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from emulator.http.responses import request_body, respond_json

if TYPE_CHECKING:
    from emulator.process import Emulator

PREFIX = "/_cloudtwin/"


class AdminApi:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __call__(self, environ: dict, start_response):
        route = environ["PATH_INFO"][len(PREFIX) :].rstrip("/")
        method = environ["REQUEST_METHOD"]
        handler = {
            ("health", "GET"): self.health,
            ("health", "HEAD"): self.health,
            ("reset", "POST"): self.reset,
            ("clock", "GET"): self.show_clock,
            ("clock", "POST"): self.set_clock,
        }.get((route, method))
        if handler is None:
            known = route in ("health", "reset", "clock")
            status = 405 if known else 404
            return respond_json(start_response, status, {"error": f"no {method} /_cloudtwin/{route}"})
        try:
            params = _params(environ)
        except ValueError as exc:
            return respond_json(start_response, 400, {"error": f"malformed request body: {exc}"})
        try:
            return respond_json(start_response, 200, handler(params))
        except (KeyError, ValueError, TypeError) as exc:
            return respond_json(start_response, 400, {"error": str(exc).strip("'\"")})

    def health(self, params: dict) -> dict:
        services = self.emulator.health()
        return {"status": "up" if services["aws"]["up"] else "down", "services": services}

    def reset(self, params: dict) -> dict:
        service = params.get("service") or None
        if service == "sqs":
            service = "aws"
        try:
            return {"reset": self.emulator.reset(service)}
        except KeyError:
            raise KeyError(f"unknown service {service!r}; known: {', '.join(self.emulator.services)}") from None

    def show_clock(self, params: dict) -> dict:
        return self.emulator.clock.snapshot()

    def set_clock(self, params: dict) -> dict:
        """Apply, in this order, any of: reset, freeze (true or an epoch time), advance (seconds), unfreeze."""
        clock = self.emulator.clock
        if _truthy(params.get("reset")):
            clock.reset()
        freeze = params.get("freeze")
        if freeze is not None and freeze is not False and str(freeze).lower() != "false":
            at = None if freeze is True or str(freeze).lower() == "true" else float(freeze)
            clock.freeze(at)
        if params.get("advance") is not None:
            clock.advance(float(params["advance"]))
        if _truthy(params.get("unfreeze")):
            clock.unfreeze()
        return clock.snapshot()


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


def _params(environ: dict) -> dict:
    """JSON body, form body or query string, whichever the caller used."""
    params = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    body = request_body(environ)
    if body.strip():
        if body.lstrip().startswith(b"{"):
            document = json.loads(body)
            if not isinstance(document, dict):
                raise ValueError("expected a JSON object")
            params.update(document)
        else:
            params.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
    return params
