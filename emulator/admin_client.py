"""A client of a running emulator's admin API (`/_cloudtwin/...`), for the CLI and the pytest plugin."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request

DEFAULT_PORT = 4566


class AdminUnavailable(Exception):
    """Nothing answers at the endpoint, or what answers is not a cloudtwin."""


def default_endpoint(environ: dict[str, str] | None = None) -> str:
    """Where the CLI looks for the emulator: AWS_ENDPOINT_URL (what the apps talk to), else the port
    `cloudtwin serve` would take from CLOUDTWIN_AWS_PORT (and CLOUDTWIN_HOST), else 127.0.0.1:4566."""
    environ = os.environ if environ is None else environ
    if environ.get("AWS_ENDPOINT_URL"):
        return environ["AWS_ENDPOINT_URL"].rstrip("/")
    host = environ.get("CLOUDTWIN_HOST") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):  # serve binds every address; loopback reaches it
        host = "127.0.0.1"
    port = environ.get("CLOUDTWIN_AWS_PORT") or str(DEFAULT_PORT)
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


class AdminClient:
    def __init__(self, endpoint: str, timeout: float = 10.0) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def get(self, route: str, **params: object) -> dict:
        query = urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        return self.call("GET", route + (f"?{query}" if query else ""))

    def post(self, route: str, document: dict | None = None) -> dict:
        return self.call("POST", route, document if document is not None else {})

    def call(self, method: str, route: str, document: dict | None = None) -> dict:
        """The JSON answer, also of an error status (it says why); AdminUnavailable when there is none."""
        request = urllib.request.Request(
            f"{self.endpoint}/_cloudtwin/{route}",
            data=json.dumps(document).encode() if document is not None else None,
            method=method,
            headers={"Content-Type": "application/json"},  # the admin API's rule for POSTs
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            body = exc.read()
            if exc.code == 404 and route.startswith("health"):
                raise AdminUnavailable(f"{self.endpoint} is not a cloudtwin (no /_cloudtwin/health)") from None
        except (urllib.error.URLError, OSError) as exc:
            raise AdminUnavailable(f"no emulator answers at {self.endpoint}: {getattr(exc, 'reason', exc)}") from None
        try:
            document = json.loads(body or b"{}")
        except ValueError:
            raise AdminUnavailable(
                f"{self.endpoint} is not a cloudtwin (its /_cloudtwin/{route} is not JSON)"
            ) from None
        if not isinstance(document, dict):
            raise AdminUnavailable(f"{self.endpoint} is not a cloudtwin (its /_cloudtwin/{route} is not an object)")
        return document

    def is_cloudtwin(self) -> str | None:
        """None if a cloudtwin answers here, else why not."""
        try:
            document = self.get("health")
        except AdminUnavailable as exc:
            return str(exc)
        if "services" not in document:
            return f"{self.endpoint} is not a cloudtwin (its /_cloudtwin/health names no services)"
        return None
