"""Topic and group admin against the live broker, through kafka-python's admin client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from cloudtwin.kafka.listeners import SCRAM_MECHANISM
from cloudtwin.kafka.ports import answers
from cloudtwin.service import ServiceStartError

CLIENT_ID = "cloudtwin-admin"
REQUEST_TIMEOUT_MS = 10_000
POLL_SECONDS = 0.005
T = TypeVar("T")


class ScramError(Exception):
    """The broker refused a SCRAM credential change (its message says why)."""


def is_internal(topic: str) -> bool:
    """__consumer_offsets, __transaction_state, Redpanda's _schemas and the like."""
    return topic.startswith("_")


def serving_brokers(cluster: dict) -> list[int]:
    """The ids of the brokers a DescribeCluster answer lists as serving: KRaft also lists fenced ones (stopped,
    or not yet caught up with the metadata)."""
    return sorted(broker["broker_id"] for broker in cluster.get("brokers") or [] if not broker.get("is_fenced"))


class TopicAdmin:
    """One admin connection, shared by the emulator's threads (kafka-python's client is not thread-safe)."""

    def __init__(self, client, brokers: int = 1) -> None:
        self._client = client
        self._lock = threading.Lock()
        # One broker: one replica, whatever the broker's default says. Several: the cluster's default (-1).
        self.replication_factor = 1 if brokers == 1 else -1

    @classmethod
    def connect(
        cls, bootstrap: str, timeout: float, broker_exit: Callable[[], str | None], brokers: int = 1
    ) -> TopicAdmin:
        """Wait until the metadata lists `brokers` brokers at `bootstrap`; fail early if a broker process exits."""
        try:
            from kafka import KafkaAdminClient
            from kafka.errors import KafkaError
        except ImportError:
            raise ServiceStartError(
                "Kafka needs kafka-python for topic admin: pip install 'cloudtwin[kafka]'"
            ) from None
        host, _, port = bootstrap.split(",")[0].rpartition(":")
        host = host.strip("[]")
        deadline = time.monotonic() + timeout
        last_error = "no answer"
        while time.monotonic() < deadline:
            exited = broker_exit()
            if exited:
                raise ServiceStartError(exited)
            # A bare TCP probe until the port accepts: kafka-python would log every refusal as an
            # error and back off for seconds between retries.
            if not answers(host, int(port), timeout=0.5):
                last_error = f"nothing accepts connections at {bootstrap} yet"
                time.sleep(0.05)
                continue
            try:
                client = KafkaAdminClient(
                    bootstrap_servers=bootstrap, client_id=CLIENT_ID, request_timeout_ms=REQUEST_TIMEOUT_MS
                )
            except (KafkaError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                time.sleep(0.1)
                continue
            try:
                listed = len(serving_brokers(client.describe_cluster()))
                if listed >= brokers:
                    return cls(client, brokers)
                last_error = f"the metadata lists {listed} of {brokers} broker(s) yet"
            except (KafkaError, OSError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            client.close()
            time.sleep(0.1)
        raise ServiceStartError(
            f"the Kafka broker at {bootstrap} was not ready within {timeout:.0f} s ({last_error}); "
            "raise --kafka-start-timeout on a slow machine"
        )

    def create_topic(self, name: str, partitions: int = 1, configs: dict[str, str] | None = None) -> None:
        spec = {"num_partitions": partitions, "replication_factor": self.replication_factor, "configs": configs or {}}
        with self._lock:
            self._retrying(lambda: self._client.create_topics({name: spec}, timeout_ms=REQUEST_TIMEOUT_MS))
            self._wait_until_led(name)

    def _wait_until_led(self, name: str) -> None:
        """Until every partition has a leader, so a producer or consumer starting next finds the topic.

        kafka-python's own wait_for_metadata polls every 100 ms; the broker needs a few.
        """
        deadline = time.monotonic() + REQUEST_TIMEOUT_MS / 1000
        while True:
            partitions = self._partitions(name)
            if partitions and all(p.get("error_code", 0) == 0 and p.get("leader_id", -1) >= 0 for p in partitions):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"topic {name} had no leader {REQUEST_TIMEOUT_MS} ms after it was created")
            time.sleep(POLL_SECONDS)

    def partitions(self, topic: str) -> list[dict]:
        """A topic's partitions as the cluster describes them now: leader_id, replica_nodes, isr_nodes, ..."""
        with self._lock:
            return self._partitions(topic)

    def _partitions(self, topic: str) -> list[dict]:
        described = self._retrying(lambda: self._client.describe_topics([topic]))
        return [partition for item in described for partition in item.get("partitions") or []]

    def broker_ids(self) -> list[int]:
        """The ids of the brokers serving now (a stopped broker is fenced)."""
        with self._lock:
            return serving_brokers(self._retrying(self._client.describe_cluster))

    def delete_topics(self, names: list[str]) -> None:
        if names:
            with self._lock:
                self._retrying(lambda: self._client.delete_topics(names, timeout_ms=REQUEST_TIMEOUT_MS))

    def list_topics(self) -> list[str]:
        with self._lock:
            return sorted(topic for topic in self._retrying(self._client.list_topics) if not is_internal(topic))

    def list_groups(self) -> list[str]:
        with self._lock:
            return sorted(
                group["group_id"] if isinstance(group, dict) else group[0]
                for group in self._retrying(self._client.list_groups)
            )

    def reset(self) -> dict[str, list[str]]:
        """Delete every non-internal topic and every consumer group that has no live member."""
        topics = self.list_topics()
        self.delete_topics(topics)
        groups = self.list_groups()
        kept = []
        if groups:
            with self._lock:
                results = self._retrying(lambda: self._client.delete_groups(groups))
            # {group: "OK" | error name}; a group with live members (NonEmptyGroupError) stays.
            kept = [group for group, outcome in results.items() if outcome != "OK"]
        return {"topics": topics, "groups": [group for group in groups if group not in kept], "groups_in_use": kept}

    def set_scram_user(self, user: str, password: str) -> None:
        from kafka.admin import UserScramCredentialUpsertion

        self._alter_scram([UserScramCredentialUpsertion(user, SCRAM_MECHANISM, password)])

    def delete_scram_user(self, user: str) -> None:
        from kafka.admin import UserScramCredentialDeletion

        self._alter_scram([UserScramCredentialDeletion(user, SCRAM_MECHANISM)])

    def _alter_scram(self, alterations: list) -> None:
        with self._lock:
            outcomes = self._retrying(lambda: self._client.alter_user_scram_credentials(alterations))
        failed = {user: error for user, error in outcomes.items() if error}
        if failed:
            raise ScramError("; ".join(f"{user}: {error}" for user, error in failed.items()))

    def _retrying(self, call: Callable[[], T]) -> T:
        """`call`, sent again for up to a request timeout while the broker it goes to is unreachable.

        With a broker stopped in a fault test, kafka-python may pick it (the controller it learnt first and
        keeps, or a node whose connection is in back-off) or not know a broker just back; it raises instead
        of trying another. So: forget the controller, ask for fresh metadata, try again.
        """
        from kafka.errors import KafkaConnectionError, NodeNotReadyError, UnknownBrokerIdError

        deadline = time.monotonic() + REQUEST_TIMEOUT_MS / 1000
        while True:
            try:
                return call()
            except (UnknownBrokerIdError, NodeNotReadyError, KafkaConnectionError):
                if time.monotonic() > deadline:
                    raise
                self._client._controller_id = None  # kafka-python asks the cluster again when it has none
                self._client._manager.cluster.request_update()
                time.sleep(0.2)

    def close(self) -> None:
        with self._lock:
            self._client.close()
