"""MSK (`kafka` API): moto keeps the clusters; they become ACTIVE at once and their brokers are the live one.

Routes the calls whose answers depend on the broker (bootstrap brokers, nodes, SCRAM secrets, the
cluster descriptions) to the twin, and everything else to moto unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from cloudtwin.control import msk_scram
from cloudtwin.control.moto_call import buffered_body, call_moto, signed_for
from cloudtwin.control.msk_clusters import (
    ClusterSettingError,
    bootstrap_brokers,
    check_settings,
    render_cluster_info,
    render_nodes,
    security_of,
)
from cloudtwin.http.responses import respond_json
from cloudtwin.service import ServiceStartError

if TYPE_CHECKING:
    from cloudtwin.http.gateway import Gateway
    from cloudtwin.process import Emulator

# A cluster ARN: cluster/NAME/UUID-N as MSK makes them, cluster/UUID as moto does; nothing after it.
_ARN = (
    r"arn:[^:/]+:kafka:[^:/]+:\d{12}:(?:serverless-)?cluster/"
    r"(?:[^/]+/)?[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}(?:-\d+)?"
)
_CREATE = re.compile(r"^/(?P<api>v1|api/v2)/clusters/?$")
_CLUSTER = re.compile(rf"^/(?P<api>v1|api/v2)/clusters/(?P<arn>{_ARN})/?$")
_PART = re.compile(r"^/v1/clusters/(?P<arn>.+)/(?P<part>bootstrap-brokers|nodes|scram-secrets)/?$")
_ARN_PARTS = re.compile(r"^arn:[^:]+:kafka:(?P<region>[^:]+):(?P<account>\d{12}):")
# boto3's default read timeout is 60 s; answer before it gives up on us.
BROKER_WAIT_SECONDS = 50.0
NO_KAFKA = "this emulator runs without Kafka (--kafka off); start it with --kafka auto to get a broker"


class MskControlPlane:
    def __init__(self, emulator: Emulator, gateway: Gateway) -> None:
        self.emulator = emulator
        self.gateway = gateway

    def __call__(self, environ: dict, start_response) -> Iterable[bytes] | None:
        if signed_for(environ) != "kafka":
            return None
        path, method = environ.get("PATH_INFO", ""), environ["REQUEST_METHOD"]
        create = _CREATE.match(path)
        if create and method == "POST":
            return self.create_cluster(environ, start_response, v2=create.group("api") == "api/v2")
        if create and method == "GET" and create.group("api") == "api/v2":
            return self.list_clusters_v2(environ, start_response)
        cluster_path = _CLUSTER.match(path)
        if cluster_path and method in ("GET", "DELETE"):
            arn = unquote(cluster_path.group("arn"))
            cluster = _cluster(arn)
            if cluster is None:
                return _not_found(start_response, arn)
            if method == "DELETE":
                return self.delete_cluster(environ, start_response, cluster)
            return self.describe_cluster(environ, start_response, cluster, v2=cluster_path.group("api") == "api/v2")
        part = _PART.match(path)
        if part is None:
            return None
        arn = unquote(part.group("arn"))
        cluster = _cluster(arn)
        if cluster is None:
            return _not_found(start_response, arn)
        handler: Callable | None = {
            ("GET", "bootstrap-brokers"): self.get_bootstrap_brokers,
            ("GET", "nodes"): self.list_nodes,
            ("POST", "scram-secrets"): self.associate_scram_secrets,
            ("PATCH", "scram-secrets"): self.disassociate_scram_secrets,
            ("GET", "scram-secrets"): self.list_scram_secrets,
        }.get((method, part.group("part")))
        return handler(environ, start_response, cluster) if handler else None

    def create_cluster(self, environ: dict, start_response, v2: bool) -> Iterable[bytes]:
        """Refuse what MSK refuses, let moto create the record (keeping what moto's v2 create drops), mark it ACTIVE:
        the broker behind it already runs (or starts)."""
        request = _json_body(environ)
        settings = (request.get("provisioned") or {}) if v2 else request
        try:
            check_settings(settings.get("clientAuthentication"), settings.get("encryptionInfo"))
        except ClusterSettingError as exc:
            return _error(start_response, 400, "BadRequestException", str(exc))
        answer = call_moto(self.gateway.moto_app, environ)
        if answer.ok:
            cluster = _cluster(json.loads(answer.body).get("clusterArn", ""))
            if cluster is not None:
                cluster.state = "ACTIVE"
                if v2 and cluster.cluster_type == "PROVISIONED":
                    cluster.client_authentication = settings.get("clientAuthentication")
                    cluster.encryption_info = settings.get("encryptionInfo")
                    cluster.configuration_info = settings.get("configurationInfo")
        return answer.send(start_response)

    def describe_cluster(self, environ: dict, start_response, cluster, v2: bool) -> Iterable[bytes]:
        answer = call_moto(self.gateway.moto_app, environ)
        if not answer.ok:
            return answer.send(start_response)
        document = json.loads(answer.body)
        render_cluster_info(document["clusterInfo"], cluster, self._kafka_version(), v2, self._broker_count())
        return answer.send(start_response, json.dumps(document).encode())

    def list_clusters_v2(self, environ: dict, start_response) -> Iterable[bytes]:
        answer = call_moto(self.gateway.moto_app, environ)
        if not answer.ok:
            return answer.send(start_response)
        document = json.loads(answer.body)
        version, brokers = self._kafka_version(), self._broker_count()
        for info in document.get("clusterInfoList") or []:
            cluster = _cluster(info.get("clusterArn", ""))
            if cluster is not None:
                render_cluster_info(info, cluster, version, v2=True, broker_count=brokers)
        return answer.send(start_response, json.dumps(document).encode())

    def delete_cluster(self, environ: dict, start_response, cluster) -> Iterable[bytes]:
        """A deleted cluster's SCRAM users leave the broker with it (unless another cluster has them)."""
        associated = list(msk_scram.associated(cluster))
        kafka = self.emulator.services.get("kafka")
        answer = call_moto(self.gateway.moto_app, environ)
        if answer.ok and associated and kafka is not None and kafka.state == "ready":  # type: ignore[attr-defined]
            msk_scram.disassociate(cluster, associated, kafka, _all_clusters)
        return answer.send(start_response)

    def get_bootstrap_brokers(self, environ: dict, start_response, cluster) -> Iterable[bytes]:
        kafka, refusal = self._ready_kafka(start_response)
        if refusal is not None:
            return refusal
        listeners, off = kafka.client_listeners()
        try:
            answer = bootstrap_brokers(security_of(cluster), listeners, off)
        except ClusterSettingError as exc:
            return _error(start_response, 400, "BadRequestException", str(exc))
        return respond_json(start_response, 200, answer)

    def list_nodes(self, environ: dict, start_response, cluster) -> Iterable[bytes]:
        if cluster.cluster_type == "SERVERLESS":
            return _error(
                start_response, 400, "BadRequestException", "ListNodes is not supported for serverless clusters"
            )
        kafka, refusal = self._ready_kafka(start_response)
        if refusal is not None:
            return refusal
        brokers = [(broker_id, address.rpartition(":")[0].strip("[]")) for broker_id, address in kafka.client_brokers()]
        return respond_json(
            start_response, 200, {"nodeInfoList": render_nodes(cluster, brokers, self._kafka_version())}
        )

    def associate_scram_secrets(self, environ: dict, start_response, cluster) -> Iterable[bytes]:
        return self._change_scram_secrets(environ, start_response, cluster, associate=True)

    def disassociate_scram_secrets(self, environ: dict, start_response, cluster) -> Iterable[bytes]:
        return self._change_scram_secrets(environ, start_response, cluster, associate=False)

    def _change_scram_secrets(self, environ: dict, start_response, cluster, associate: bool) -> Iterable[bytes]:
        try:
            secret_arns = msk_scram.check_batch(_json_body(environ).get("secretArnList"))
        except msk_scram.ScramRefusal as exc:
            return _error(start_response, 400, "BadRequestException", str(exc))
        if not security_of(cluster).scram:
            return _error(
                start_response, 400, "BadRequestException",
                "SASL/SCRAM authentication is not enabled for this cluster (ClientAuthentication.Sasl.Scram)",
            )  # fmt: skip
        kafka, refusal = self._ready_kafka(start_response)
        if refusal is not None:
            return refusal
        if associate:
            unprocessed = msk_scram.associate(cluster, secret_arns, kafka)
        else:
            unprocessed = msk_scram.disassociate(cluster, secret_arns, kafka, _all_clusters)
        return respond_json(
            start_response,
            200,
            {"clusterArn": cluster.arn, "unprocessedScramSecrets": [item.render() for item in unprocessed]},
        )

    def list_scram_secrets(self, environ: dict, start_response, cluster) -> Iterable[bytes]:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        secrets = list(msk_scram.associated(cluster))
        try:
            start = int(query.get("nextToken", ["0"])[-1])
            size = int(query.get("maxResults", [str(len(secrets) or 1)])[-1])
        except ValueError:
            return _error(start_response, 400, "BadRequestException", "nextToken and maxResults must be numbers")
        if size < 1 or start < 0:
            return _error(start_response, 400, "BadRequestException", "maxResults must be at least 1")
        page = {"secretArnList": secrets[start : start + size]}
        if start + size < len(secrets):
            page["nextToken"] = str(start + size)
        return respond_json(start_response, 200, page)

    def _ready_kafka(self, start_response):
        """(the Kafka service, None) once its broker is ready, else (None, an AWS-shaped refusal)."""
        kafka = self.emulator.services.get("kafka")
        if kafka is None:
            return None, _error(start_response, 400, "BadRequestException", NO_KAFKA)
        try:
            kafka.wait_ready(BROKER_WAIT_SECONDS)  # type: ignore[attr-defined]
        except ServiceStartError as exc:
            message = f"the emulator's Kafka broker is down: {exc}"
            return None, _error(start_response, 400, "BadRequestException", message)
        return kafka, None

    def _broker_count(self) -> int | None:
        """How many brokers run, where the backend knows (see KafkaService.broker_count)."""
        kafka = self.emulator.services.get("kafka")
        return kafka.broker_count if kafka is not None else None  # type: ignore[attr-defined]

    def _kafka_version(self) -> str | None:
        """The Kafka release the broker runs, where the backend knows it (the JVM one does)."""
        kafka = self.emulator.services.get("kafka")
        return kafka.kafka_version if kafka is not None else None  # type: ignore[attr-defined]


def _cluster(arn: str):
    """moto's record of a cluster, or None."""
    match = _ARN_PARTS.match(arn)
    if match is None:
        return None
    from moto.kafka.models import kafka_backends

    return kafka_backends[match.group("account")][match.group("region")].clusters.get(arn)


def _all_clusters() -> Iterator:
    from moto.kafka.models import kafka_backends

    for regions in kafka_backends.values():
        for backend in regions.values():
            yield from backend.clusters.values()


def _json_body(environ: dict) -> dict:
    try:
        document = json.loads(buffered_body(environ) or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _not_found(start_response, arn: str) -> list[bytes]:
    return _error(start_response, 404, "NotFoundException", f"Cluster {arn} does not exist.")


def _error(start_response, status: int, code: str, message: str) -> list[bytes]:
    return respond_json(start_response, status, {"message": message}, headers=[("x-amzn-ErrorType", code)])
