"""The JVM backend's Kafka cluster: one KRaft node for one broker, or N brokers and a controller of their own.

With several brokers the controller is a JVM of its own (node id 0) rather than broker 1's second role:
stopping any broker, even two of three, then leaves the metadata quorum up, so leaders move and ISRs
shrink as on MSK (whose controllers clients never see). A controller alone is the lightest node (no client
listeners, no log data) and starts alongside the brokers, so the extra JVM costs little on a small machine.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from cloudtwin.kafka.broker_config import replication_defaults
from cloudtwin.kafka.jars import KafkaJars
from cloudtwin.kafka.jvm import BROKER_ONLY, COMBINED, CONTROLLER_ONLY, JvmBroker, prepare_runtime
from cloudtwin.kafka.listeners import ListenerPlan

if TYPE_CHECKING:
    from cloudtwin.kafka.tls import TlsMaterial

CONTROLLER_NODE_ID = 0
"""Below MSK's broker ids, which count from 1."""


class BrokerControlError(ValueError):
    """A broker cannot be stopped or started as asked (unknown id, wrong state, a backend without brokers of ours)."""


class JvmCluster:
    backend = "jvm"

    def __init__(
        self,
        jars: KafkaJars,
        plans: list[ListenerPlan],
        records_dir: Path,
        progress: Callable[[str], None] = lambda line: None,
        nice: int = 0,
        account_id: str = "000000000000",
        overrides: dict[str, str] | None = None,
    ) -> None:
        """One broker per plan; `overrides` (checked by broker_config.parse_overrides) go over MSK's replication
        defaults for this many brokers, on every node."""
        self.jars = jars
        self.records_dir = records_dir
        self.progress = progress
        self.kafka_version = jars.version
        settings = {**replication_defaults(len(plans)), **(overrides or {})}
        common = {"progress": progress, "nice": nice, "account_id": account_id, "overrides": settings}
        self.controller: JvmBroker | None = None
        if len(plans) == 1:
            self.brokers = [JvmBroker(jars, plans[0], records_dir, node_id=1, roles=COMBINED, **common)]
        else:
            first = plans[0]
            voters = f"{CONTROLLER_NODE_ID}@127.0.0.1:{first.controller_port}"
            controller_plan = ListenerPlan(first.host, first.advertised_host, {}, {}, first.controller_port)
            self.controller = JvmBroker(
                jars, controller_plan, records_dir, node_id=CONTROLLER_NODE_ID, roles=CONTROLLER_ONLY, **common
            )
            self.brokers = [
                JvmBroker(jars, plan, records_dir, node_id=index, roles=BROKER_ONLY, voters=voters, **common)
                for index, plan in enumerate(plans, start=1)
            ]

    @property
    def nodes(self) -> list[JvmBroker]:
        return [*([self.controller] if self.controller else []), *self.brokers]

    @property
    def bootstrap(self) -> str:
        return ",".join(broker.bootstrap for broker in self.brokers)

    @property
    def listeners(self) -> dict[str, str]:
        """Listener name → every broker's HOST:PORT for it, comma-separated as a bootstrap string."""
        names = self.brokers[0].listeners
        return {name: ",".join(broker.listeners[name] for broker in self.brokers) for name in names}

    @property
    def unavailable_listeners(self) -> dict[str, str]:
        return self.brokers[0].unavailable_listeners

    @property
    def tls(self) -> TlsMaterial | None:
        return self.brokers[0].tls

    def start(self) -> None:
        """Prepare once, format storage once, then launch every node at once; readiness is checked by the caller."""
        runtime = prepare_runtime(self.jars, self.records_dir, self.brokers[0].plan.advertised_host, self.progress)
        self.brokers[0].storage_template()
        for node in self.nodes:
            node.launch(runtime)

    def exit_reason(self) -> str | None:
        """None while every node runs or was stopped on purpose; else which one ended, and why."""
        for node in self.nodes:
            reason = node.exit_reason() if not node.halted else None
            if reason:
                return reason if len(self.nodes) == 1 else f"{self._name(node)}: {reason}"
        return None

    def stop(self) -> None:
        """Brokers first, all at once (each hands its leaderships to the others through the controller), then it."""
        for broker in self.brokers:
            broker.request_stop()
        for node in [*self.brokers, *([self.controller] if self.controller else [])]:
            node.stop()

    def broker(self, broker_id: int) -> JvmBroker:
        for broker in self.brokers:
            if broker.node_id == broker_id:
                return broker
        known = ", ".join(str(broker.node_id) for broker in self.brokers)
        raise BrokerControlError(f"there is no broker {broker_id}; this cluster's brokers are {known}")

    def stop_broker(self, broker_id: int) -> None:
        """Shut one broker down cleanly, keeping its data: its partitions' leadership moves to the others."""
        broker = self.broker(broker_id)
        if broker.state != "running":
            raise BrokerControlError(f"broker {broker_id} is {broker.state}, not running")
        broker.halt()

    def start_broker(self, broker_id: int) -> None:
        """Start a stopped broker again on its data; it rejoins and catches up (the caller waits for it)."""
        broker = self.broker(broker_id)
        if not broker.halted:
            raise BrokerControlError(f"broker {broker_id} is {broker.state}, not stopped")
        broker.resume()

    def broker_states(self) -> list[dict]:
        """Each broker's id, state (running, stopped, exited) and plaintext address."""
        return [{"id": broker.node_id, "state": broker.state, "endpoint": broker.bootstrap} for broker in self.brokers]

    def controller_state(self) -> dict:
        """The KRaft controller's node id, state and address, when it is a node of its own."""
        assert self.controller is not None
        return {
            "id": self.controller.node_id,
            "state": self.controller.state,
            "endpoint": f"127.0.0.1:{self.controller.plan.controller_port}",
        }

    def _name(self, node: JvmBroker) -> str:
        return "the KRaft controller" if node is self.controller else f"broker {node.node_id}"
