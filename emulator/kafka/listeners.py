"""The broker's listeners as MSK numbers them, and the server.properties that open them.

MSK serves plaintext on 9092, TLS on 9094, SASL/SCRAM on 9096 and IAM on 9098. The twin keeps those
offsets from its plaintext port (so `serve` gets exactly MSK's ports), and adds mutual TLS at +3: one
broker serves every cluster, so a cluster that wants client certificates gets a listener of its own.
With several brokers (`--kafka-brokers N`) broker k takes broker 1's ports + 10 x (k - 1): on one host
the port, not the host name, tells MSK's brokers apart (9092, 9102, 9112 plaintext; 9098, 9108, 9118 IAM).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from cloudtwin.kafka.ports import free_port, free_port_block, port_is_free
from cloudtwin.service import ServiceStartError

if TYPE_CHECKING:
    from cloudtwin.kafka.tls import TlsMaterial

SCRAM_MECHANISM = "SCRAM-SHA-512"
# The one free offset below MSK's listeners; Kafka's own examples put the controller at 9093 too.
CONTROLLER_OFFSET = 1
# Port distance between one broker's listeners and the next broker's: past the highest offset (+6), and round.
BROKER_PORT_STRIDE = 10


@dataclass(frozen=True)
class Listener:
    name: str
    """Kafka's listener name; also how the emulator and its API call the listener."""
    protocol: str
    offset: int
    """Port distance from the plaintext listener."""
    summary: str


PLAINTEXT = Listener("PLAINTEXT", "PLAINTEXT", 0, "plaintext")
TLS = Listener("TLS", "SSL", 2, "TLS (server certificate only)")
MTLS = Listener("MTLS", "SSL", 3, "mutual TLS (client certificate signed by the twin's CA required)")
SCRAM = Listener("SCRAM", "SASL_SSL", 4, f"SASL/{SCRAM_MECHANISM} over TLS")
IAM = Listener("IAM", "SASL_SSL", 6, "IAM over TLS (SASL AWS_MSK_IAM and OAUTHBEARER)")
ALL = (PLAINTEXT, TLS, MTLS, SCRAM, IAM)


@dataclass(frozen=True)
class ListenerPlan:
    """Which listeners one broker opens, on which ports; an absent listener has a reason in `unavailable`."""

    host: str
    advertised_host: str
    ports: dict[str, int]
    unavailable: dict[str, str]
    controller_port: int = 0
    """The KRaft controller's port (127.0.0.1), for the broker's own use."""

    def without(self, name: str, reason: str) -> ListenerPlan:
        ports = {key: port for key, port in self.ports.items() if key != name}
        return replace(self, ports=ports, unavailable={**self.unavailable, name: reason})

    @property
    def endpoints(self) -> dict[str, str]:
        return {name: f"{self.advertised_host}:{port}" for name, port in self.ports.items()}

    def server_properties(
        self,
        controller_port: int,
        tls: TlsMaterial | None,
        iam_jaas_module: str | None,
        token_validator: str | None,
        controller: bool = True,
    ) -> dict[str, str]:
        """The listener part of server.properties; the SSL and SASL settings are per listener name.

        `controller`: this node is (also) the KRaft controller and opens its listener; a broker-only node
        only dials it. A controller-only node has a plan without client listeners.
        """
        opened = [listener for listener in ALL if listener.name in self.ports]
        properties = {
            "listeners": ",".join(
                [f"{item.name}://{self.host}:{self.ports[item.name]}" for item in opened]
                + ([f"CONTROLLER://127.0.0.1:{controller_port}"] if controller else [])
            ),
            "listener.security.protocol.map": ",".join(
                [f"{item.name}:{item.protocol}" for item in opened] + ["CONTROLLER:PLAINTEXT"]
            ),
        }
        if opened:
            properties["advertised.listeners"] = ",".join(
                f"{name}://{address}" for name, address in self.endpoints.items()
            )
        if tls is not None and len(opened) > 1:
            properties.update(
                {
                    "ssl.keystore.type": "PEM",
                    "ssl.keystore.location": str(tls.broker_keystore),
                    "ssl.truststore.type": "PEM",
                    "ssl.truststore.location": str(tls.ca_file),
                }
            )
        if MTLS.name in self.ports:
            properties["listener.name.mtls.ssl.client.auth"] = "required"
        if SCRAM.name in self.ports:
            mechanism = SCRAM_MECHANISM.lower()
            properties["listener.name.scram.sasl.enabled.mechanisms"] = SCRAM_MECHANISM
            properties[f"listener.name.scram.{mechanism}.sasl.jaas.config"] = (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            )
        if IAM.name in self.ports and iam_jaas_module and token_validator:
            properties.update(
                {
                    "listener.name.iam.sasl.enabled.mechanisms": "AWS_MSK_IAM,OAUTHBEARER",
                    "listener.name.iam.aws_msk_iam.sasl.jaas.config": f"{iam_jaas_module} required;",
                    # The broker's own login token is never used: nothing inside the broker connects over IAM.
                    "listener.name.iam.oauthbearer.sasl.jaas.config": (
                        "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required "
                        'unsecuredLoginStringClaim_sub="cloudtwin-broker";'
                    ),
                    "listener.name.iam.oauthbearer.sasl.server.callback.handler.class": token_validator,
                }
            )
        return properties


def plaintext_only(backend: str) -> dict[str, str]:
    """Why a backend that is not the JVM broker lacks every listener but plaintext."""
    reason = f"the {backend} Kafka backend has only a plaintext listener; --kafka jvm has MSK's TLS, SASL and IAM ones"
    return {listener.name: reason for listener in ALL if listener is not PLAINTEXT}


def plan_listeners(host: str, advertised_host: str, plaintext_port: int) -> ListenerPlan:
    """One broker's listeners: see plan_cluster."""
    return plan_cluster(host, advertised_host, plaintext_port, 1)[0]


def plan_cluster(host: str, advertised_host: str, plaintext_port: int, brokers: int) -> list[ListenerPlan]:
    """Ports for every listener of `brokers` brokers, broker k at `BROKER_PORT_STRIDE` x (k - 1) past broker 1.

    Broker 1's listeners sit at MSK's offsets from `plaintext_port`, or, when that is 0, from a free port
    whose neighbours at every broker's offsets are free too (and, so the KRaft controller's port sits with
    them, +1). Every plan names the one controller port the brokers share.
    """
    offsets = {(index, item.name): index * BROKER_PORT_STRIDE + item.offset for index in range(brokers) for item in ALL}
    if plaintext_port:
        busy = [
            f"{item} {plaintext_port + offset}" + (f" (broker {index + 1})" if brokers > 1 else "")
            for (index, item), offset in offsets.items()
            if offset and not port_is_free(host, plaintext_port + offset)
        ]
        if busy:
            raise ServiceStartError(
                f"Kafka's listener port(s) {', '.join(busy)} on {host} are in use (the TLS, SASL and IAM "
                f"listeners sit at MSK's offsets +2/+3/+4/+6 from --kafka-port {plaintext_port}"
                + (f", broker k's at +{BROKER_PORT_STRIDE} x (k - 1) from broker 1's" if brokers > 1 else "")
                + "): free them or choose another --kafka-port"
            )
        base, controller_port = plaintext_port, free_port("127.0.0.1")
    else:
        try:
            base = free_port_block(host, [CONTROLLER_OFFSET, *offsets.values()])
        except OSError as exc:
            raise ServiceStartError(f"Kafka's listeners: {exc}") from None
        controller_port = base + CONTROLLER_OFFSET
    return [
        ListenerPlan(
            host,
            advertised_host,
            {item.name: base + offsets[index, item.name] for item in ALL},
            {},
            controller_port,
        )
        for index in range(brokers)
    ]
