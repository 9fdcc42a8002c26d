"""MSK (`kafka` API): moto keeps the clusters; they become ACTIVE at once and their brokers are the live one."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import unquote

from cloudtwin.control.moto_call import call_moto, signed_for
from cloudtwin.http.responses import respond_json
from cloudtwin.service import ServiceStartError

if TYPE_CHECKING:
    from cloudtwin.http.gateway import Gateway
    from cloudtwin.process import Emulator

_CREATE = re.compile(r"^/(v1|api/v2)/clusters/?$")
_BOOTSTRAP = re.compile(r"^/v1/clusters/(?P<arn>.+)/bootstrap-brokers/?$")
_ARN = re.compile(r"^arn:[^:]+:kafka:(?P<region>[^:]+):(?P<account>\d{12}):")
# boto3's default read timeout is 60 s; answer before it gives up on us.
BROKER_WAIT_SECONDS = 50.0


class MskControlPlane:
    def __init__(self, emulator: Emulator, gateway: Gateway) -> None:
        self.emulator = emulator
        self.gateway = gateway

    def __call__(self, environ: dict, start_response) -> Iterable[bytes] | None:
        if signed_for(environ) != "kafka":
            return None
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        if method == "POST" and _CREATE.match(path):
            return self.create_cluster(environ, start_response)
        bootstrap = _BOOTSTRAP.match(path)
        if method == "GET" and bootstrap:
            return self.get_bootstrap_brokers(unquote(bootstrap.group("arn")), start_response)
        return None

    def create_cluster(self, environ: dict, start_response) -> Iterable[bytes]:
        """Let moto create the record, then mark it ACTIVE: the broker behind it already runs (or starts)."""
        answer = call_moto(self.gateway.moto_app, environ)
        if answer.ok:
            cluster = _cluster(json.loads(answer.body).get("clusterArn", ""))
            if cluster is not None:
                cluster.state = "ACTIVE"
        return answer.send(start_response)

    def get_bootstrap_brokers(self, arn: str, start_response) -> Iterable[bytes]:
        if _cluster(arn) is None:
            return _error(start_response, 404, "NotFoundException", f"Cluster {arn} does not exist.")
        kafka = self.emulator.services.get("kafka")
        if kafka is None:
            return _error(
                start_response, 400, "BadRequestException",
                "this emulator runs without Kafka (--kafka off); start it with --kafka auto to get a broker",
            )  # fmt: skip
        try:
            bootstrap = kafka.client_bootstrap(BROKER_WAIT_SECONDS)  # type: ignore[attr-defined]
        except ServiceStartError as exc:
            return _error(start_response, 400, "BadRequestException", f"the emulator's Kafka broker is down: {exc}")
        return respond_json(start_response, 200, {"bootstrapBrokerString": bootstrap})


def _cluster(arn: str):
    """moto's record of a cluster, or None."""
    match = _ARN.match(arn)
    if match is None:
        return None
    from moto.kafka.models import kafka_backends

    return kafka_backends[match.group("account")][match.group("region")].clusters.get(arn)


def _error(start_response, status: int, code: str, message: str) -> list[bytes]:
    return respond_json(start_response, status, {"message": message}, headers=[("x-amzn-ErrorType", code)])
