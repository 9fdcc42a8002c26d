"""The admin API on the AWS port: health, reset, clock; and who may call it."""

from __future__ import annotations

import ipaddress
import json
import re
from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from cloudtwin.http.responses import request_body, respond_json

if TYPE_CHECKING:
    from cloudtwin.config import Settings
    from cloudtwin.process import Emulator

PREFIX = "/_cloudtwin/"
MOTO_API_PREFIX = "/moto-api/"
_ALLOWED_HOSTS_SETTING = "--admin-allowed-hosts (CLOUDTWIN_ADMIN_ALLOWED_HOSTS)"
_KAFKA_BROKER_ROUTE = re.compile(r"^kafka/brokers/(?P<id>\d+)/(?P<action>stop|start)$")


class AdminAccess:
    """Keeps web pages away from the admin API; programs (the CLI, the plugin, curl) pass.

    A page on another site can make the developer's browser send a simple POST (text/plain,
    form) with its own Origin, or, through DNS rebinding, send anything under its own host
    name. So an admin request must name a loopback host, an IP address or an allowed name in
    Host, a loopback or allowed origin in Origin if it has one, and a JSON body type on POST,
    which a browser sends cross-origin only after a CORS preflight that is never granted.
    """

    def __init__(self, settings: Settings) -> None:
        names = {name.strip().lower().rstrip(".") for name in settings.admin_allowed_hosts.split(",")}
        if settings.host not in ("0.0.0.0", "::"):
            names.add(settings.host.lower())
        names.discard("")
        self.allowed_names = frozenset(names)

    def refusal(self, environ: dict, untyped_post_allowed: bool = False) -> str | None:
        """Why this request may not use the admin API, or None if it may."""
        host = environ.get("HTTP_HOST")
        if host is not None and not self._host_allowed(_host_name(host)):
            return (
                f"the admin API answers only under a loopback name, an IP address or an allowed host, not Host "
                f"{host!r}; add the name to {_ALLOWED_HOSTS_SETTING}"
            )
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not self._origin_allowed(origin):
            return (
                f"the admin API does not take requests from web pages of Origin {origin!r}; "
                f"only loopback origins and those of {_ALLOWED_HOSTS_SETTING}"
            )
        if environ["REQUEST_METHOD"] == "POST":
            media_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
            if media_type != "application/json" and not (untyped_post_allowed and not media_type):
                return f"admin POST requests must have Content-Type: application/json, not {media_type or 'none'!r}"
        return None

    def _host_allowed(self, name: str) -> bool:
        # DNS rebinding needs a name the attacker controls; an IP address literal cannot be rebound.
        return _is_loopback(name) or _is_ip_address(name) or name in self.allowed_names

    def _origin_allowed(self, origin: str) -> bool:
        try:
            name = urlsplit(origin.strip()).hostname  # None for "null" (sandboxed pages, file:)
        except ValueError:
            return False
        return name is not None and (_is_loopback(name) or name.rstrip(".") in self.allowed_names)


def _host_name(host: str) -> str:
    """The name in a Host header, without port, brackets, case or trailing dot."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:].partition("]")[0]
    name, colon, port = host.rpartition(":")
    return (name if colon and port.isdigit() else host).rstrip(".")


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _is_loopback(name: str) -> bool:
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class AdminApi:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.access = AdminAccess(emulator.settings)

    def __call__(self, environ: dict, start_response):
        refusal = self.access.refusal(environ)
        if refusal is not None:
            return respond_json(start_response, 403, {"error": refusal})
        route = environ["PATH_INFO"][len(PREFIX) :].rstrip("/")
        method = environ["REQUEST_METHOD"]
        handler = {
            ("health", "GET"): self.health,
            ("health", "HEAD"): self.health,
            ("reset", "POST"): self.reset,
            ("clock", "GET"): self.show_clock,
            ("clock", "POST"): self.set_clock,
            ("requests", "GET"): self.show_requests,
            ("requests", "POST"): self.record_requests,
            ("queues", "GET"): self.show_queues,
            ("elasticache-ca", "GET"): self.show_elasticache_ca,
        }.get((route, method))
        broker_route = _KAFKA_BROKER_ROUTE.match(route)
        if broker_route and method == "POST":
            handler = partial(self.control_kafka_broker, int(broker_route["id"]), broker_route["action"])
        if handler is None:
            known = broker_route or route in ("health", "reset", "clock", "requests", "queues", "elasticache-ca")
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
        try:
            return {"reset": self.emulator.reset(service)}
        except KeyError:
            known = ", ".join(["sqs", *self.emulator.services])
            raise KeyError(f"unknown service {service!r}; known: {known}") from None

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

    def show_requests(self, params: dict) -> dict:
        """The last `limit` (default 50) AWS requests answered since `since` (epoch seconds, default all)."""
        log = self._gateway().request_log
        return log.since(float(params.get("since") or 0), int(params.get("limit") or 50))

    def record_requests(self, params: dict) -> dict:
        """`{"record": true}` starts keeping the last requests (for failure reports), false stops and forgets."""
        log = self._gateway().request_log
        if "record" not in params:
            raise ValueError('expected {"record": true} or {"record": false}')
        log.recording = _truthy(params["record"])
        if not log.recording:
            log.clear()
        return {"recording": log.recording}

    def show_queues(self, params: dict) -> dict:
        """`names=a,b`: those queues' counts and newest `messages` (default 3) messages, in any region and account."""
        from cloudtwin.http.queue_view import describe_queues

        names = {name for name in str(params.get("names") or "").split(",") if name}
        newest = min(int(params.get("messages") or 3), 10)
        return {"queues": describe_queues(self._gateway().sqs, names, newest)}

    def show_elasticache_ca(self, params: dict) -> dict:
        """The CA that TLS ElastiCache caches' certificates chain to: its file here, and its PEM for clients that run
        elsewhere (a container's host)."""
        certificates = self.emulator.services["elasticache"].certificates  # type: ignore[attr-defined]
        if certificates is None:
            raise ValueError("the ElastiCache service is not running")
        return {"ca_file": str(certificates.ca_file), "ca_pem": certificates.ca_pem.decode()}

    def control_kafka_broker(self, broker_id: int, action: str, params: dict) -> dict:
        """Stop a broker of the JVM Kafka cluster (a clean shutdown; its leaderships move) or start it again; a
        start answers once the broker serves again. The answer is the broker's id, state and address."""
        kafka = self.emulator.services.get("kafka")
        if kafka is None:
            raise ValueError("this emulator runs without Kafka; start it with --kafka jvm to stop and start brokers")
        if action == "stop":
            return {"broker": kafka.stop_broker(broker_id)}  # type: ignore[attr-defined]
        return {"broker": kafka.start_broker(broker_id)}  # type: ignore[attr-defined]

    def _gateway(self):
        return self.emulator.services["aws"].gateway  # type: ignore[attr-defined]


def _truthy(value) -> bool:
    return value is True or str(value).lower() in ("true", "1", "yes")


def _params(environ: dict) -> dict:
    """The query string's parameters, overridden by those of a JSON object body."""
    params = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
    body = request_body(environ)
    if body.strip():
        document = json.loads(body)
        if not isinstance(document, dict):
            raise ValueError("expected a JSON object")
        params.update(document)
    return params
