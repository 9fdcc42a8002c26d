"""What an MSK cluster record means on the twin's broker: its security settings, bootstrap strings and nodes.

moto keeps the records; these functions read them (camelCase, as the REST API spells them) and answer
with the live broker's listeners, version and address instead of moto's placeholders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cloudtwin.kafka.listeners import IAM, MTLS, PLAINTEXT, SCRAM, TLS

# MSK's default when a cluster names no EncryptionInTransit: TLS only.
DEFAULT_CLIENT_BROKER = "TLS"
CLIENT_BROKER_VALUES = ("TLS", "TLS_PLAINTEXT", "PLAINTEXT")
# The keys of GetBootstrapBrokers' answer, by the listener each one points at.
BOOTSTRAP_KEYS = {
    "plaintext": "bootstrapBrokerString",
    "tls": "bootstrapBrokerStringTls",
    "scram": "bootstrapBrokerStringSaslScram",
    "iam": "bootstrapBrokerStringSaslIam",
}


class ClusterSettingError(ValueError):
    """A cluster asks for a combination MSK refuses (a BadRequestException)."""


@dataclass(frozen=True)
class ClusterSecurity:
    client_broker: str
    """EncryptionInTransit.ClientBroker: TLS, TLS_PLAINTEXT or PLAINTEXT."""
    iam: bool
    scram: bool
    mutual_tls: bool
    unauthenticated: bool

    @property
    def plaintext(self) -> bool:
        return self.client_broker in ("PLAINTEXT", "TLS_PLAINTEXT")

    @property
    def tls(self) -> bool:
        return self.client_broker in ("TLS", "TLS_PLAINTEXT")

    def listeners(self) -> dict[str, str]:
        """GetBootstrapBrokers key → the broker listener it points at, for what this cluster enables."""
        chosen = {}
        if self.plaintext:
            chosen[BOOTSTRAP_KEYS["plaintext"]] = PLAINTEXT.name
        if self.tls and (self.unauthenticated or self.mutual_tls):
            # With unauthenticated access allowed too, a client certificate is optional: the plain TLS listener.
            chosen[BOOTSTRAP_KEYS["tls"]] = MTLS.name if self.mutual_tls and not self.unauthenticated else TLS.name
        if self.tls and self.scram:
            chosen[BOOTSTRAP_KEYS["scram"]] = SCRAM.name
        if self.tls and self.iam:
            chosen[BOOTSTRAP_KEYS["iam"]] = IAM.name
        return chosen

    def client_authentication(self) -> dict[str, Any]:
        """ClientAuthentication as DescribeCluster shows it: every mechanism, enabled or not."""
        return {
            "sasl": {"scram": {"enabled": self.scram}, "iam": {"enabled": self.iam}},
            "tls": {"enabled": self.mutual_tls},
            "unauthenticated": {"enabled": self.unauthenticated},
        }


SERVERLESS_SECURITY = ClusterSecurity("TLS", iam=True, scram=False, mutual_tls=False, unauthenticated=False)


def security_of(cluster) -> ClusterSecurity:
    """The effective security of a moto cluster record, with MSK's defaults filled in."""
    if cluster.cluster_type == "SERVERLESS":
        return SERVERLESS_SECURITY
    return _security(cluster.client_authentication, cluster.encryption_info)


def check_settings(client_authentication: dict | None, encryption_info: dict | None) -> None:
    """Refuse what MSK refuses: an unknown ClientBroker, or client authentication without TLS."""
    security = _security(client_authentication, encryption_info)
    if security.client_broker not in CLIENT_BROKER_VALUES:
        raise ClusterSettingError(
            f"EncryptionInTransit.ClientBroker must be one of {', '.join(CLIENT_BROKER_VALUES)}, "
            f"not {security.client_broker}"
        )
    if not security.tls and (security.iam or security.scram or security.mutual_tls):
        raise ClusterSettingError(
            "SASL and TLS client authentication need TLS encryption between clients and brokers: "
            "set EncryptionInTransit.ClientBroker to TLS or TLS_PLAINTEXT"
        )


def _security(authentication: dict | None, encryption_info: dict | None) -> ClusterSecurity:
    in_transit = (encryption_info or {}).get("encryptionInTransit") or {}
    client_broker = in_transit.get("clientBroker") or DEFAULT_CLIENT_BROKER
    if not authentication:
        return ClusterSecurity(client_broker, iam=False, scram=False, mutual_tls=False, unauthenticated=True)
    sasl = authentication.get("sasl") or {}
    tls = authentication.get("tls") or {}
    return ClusterSecurity(
        client_broker,
        iam=bool((sasl.get("iam") or {}).get("enabled")),
        scram=bool((sasl.get("scram") or {}).get("enabled")),
        # The older form enables mutual TLS by naming certificate authorities only.
        mutual_tls=bool(tls.get("enabled", bool(tls.get("certificateAuthorityArnList")))),
        unauthenticated=bool((authentication.get("unauthenticated") or {}).get("enabled")),
    )


def bootstrap_brokers(security: ClusterSecurity, listeners: dict[str, str], off: dict[str, str]) -> dict[str, str]:
    """GetBootstrapBrokers' answer; ClusterSettingError names a listener the broker cannot open and why."""
    answer = {}
    for key, listener in security.listeners().items():
        if listener not in listeners:
            reason = off.get(listener, "the broker does not open it")
            raise ClusterSettingError(f"this cluster needs the broker's {listener} listener, which is off: {reason}")
        answer[key] = listeners[listener]
    return answer


def render_cluster_info(
    info: dict, cluster, kafka_version: str | None, v2: bool, broker_count: int | None = None
) -> dict:
    """moto's ClusterInfo with the twin's truths in place of its placeholders.

    `broker_count`: the brokers that run, reported whatever NumberOfBrokerNodes the create asked for (every
    cluster is served by the one broker set); None (unknown, e.g. an external broker) keeps the request's.
    """
    # An operation ARN and state details for no operation, and ZooKeeper addresses of a KRaft broker that has none.
    for placeholder in ("activeOperationArn", "stateInfo"):
        info.pop(placeholder, None)
    provisioned = info.get("provisioned") if v2 else info
    if provisioned is None:
        return info
    for absent in ("zookeeperConnectString", "zookeeperConnectStringTls"):
        provisioned.pop(absent, None)
    software: dict[str, Any] = {"kafkaVersion": kafka_version or cluster.kafka_version}
    if cluster.configuration_info:
        software["configurationArn"] = cluster.configuration_info.get("arn")
        software["configurationRevision"] = cluster.configuration_info.get("revision")
    provisioned["currentBrokerSoftwareInfo"] = software
    if broker_count is not None:
        provisioned["numberOfBrokerNodes"] = broker_count
    security = security_of(cluster)
    provisioned["clientAuthentication"] = security.client_authentication()
    encryption = dict(cluster.encryption_info or {})
    encryption["encryptionInTransit"] = {
        "clientBroker": security.client_broker,
        "inCluster": bool((encryption.get("encryptionInTransit") or {}).get("inCluster", True)),
    }
    provisioned["encryptionInfo"] = encryption
    return info


def render_nodes(cluster, brokers: list[tuple[int, str]], kafka_version: str | None) -> list[dict]:
    """ListNodes' NodeInfoList: every broker the twin runs, (broker id, the host clients dial), stopped ones too
    (as MSK lists a broker that is down). On one host the brokers share the host and differ by port."""
    group = cluster.broker_node_group_info or {}
    subnets = group.get("clientSubnets") or []
    nodes = []
    for index, (broker_id, host) in enumerate(brokers):
        broker: dict[str, Any] = {
            "brokerId": float(broker_id),
            "clientVpcIpAddress": host,
            "currentBrokerSoftwareInfo": {"kafkaVersion": kafka_version or cluster.kafka_version},
            "endpoints": [host],
        }
        if subnets:
            broker["clientSubnet"] = subnets[index % len(subnets)]  # MSK spreads brokers over the subnets (AZs)
        node = {"addedToClusterTime": cluster.creation_time, "brokerNodeInfo": broker, "nodeType": "BROKER"}
        if group.get("instanceType"):
            node["instanceType"] = group["instanceType"]
        nodes.append(node)
    return nodes
